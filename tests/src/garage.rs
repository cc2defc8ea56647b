//! A Garage S3 server on 127.0.0.1 for tests, stopped when the test process ends.

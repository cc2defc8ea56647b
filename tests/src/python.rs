//! The Python reference (`audmodel==1.5.3`) in a virtualenv made once per checkout.

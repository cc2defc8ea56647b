//! A three-node Garage cluster on 127.0.0.1 (replication factor 3), for
//! tests of a store that loses a node: each node a `garage server` with
//! its own folder and ports (RPC, S3 API, admin API), connected, each in
//! a zone of its own with 1 GB in the layout, the test key imported.
//! With three copies and quorums of two, reads and writes go on while
//! any two nodes are up.
//!
//! Each node runs under the watchdog of [`crate::s3_server`], so it stops
//! when the test process ends; the cluster's folder is removed then too
//! (not when a node is killed: a test kills a node with SIGKILL and
//! restarts it on the data it left). Dropping the cluster kills its nodes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::garage::{
    NodeConfig, apply_layout, binary, bucket_maker, cli, import_key, node_id, retried,
};
use crate::s3_server::{
    S3Server, free_port, kill, random_hex, remove_when_gone, server_dir, server_log, spawn_server,
};

/// Nodes in the cluster.
pub const NODES: usize = 3;

/// A running cluster; see the module documentation.
pub struct GarageCluster {
    binary: PathBuf,
    nodes: Vec<Node>,
}

struct Node {
    dir: PathBuf,
    config: PathBuf,
    id: String,
    rpc: String,
    admin: String,
    /// The node's S3 endpoint, and buckets created through the node.
    server: S3Server,
    /// The running server's process, `None` while the node is down.
    pid: Mutex<Option<u32>>,
}

impl std::fmt::Debug for GarageCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let endpoints: Vec<&str> = self
            .nodes
            .iter()
            .map(|n| n.server.endpoint.as_str())
            .collect();
        f.debug_struct("GarageCluster")
            .field("endpoints", &endpoints)
            .finish_non_exhaustive()
    }
}

impl GarageCluster {
    /// Starts the three nodes, joins them into one layout and imports the
    /// test key; returns once every node says the cluster is fully
    /// operational.
    ///
    /// Panics when `garage` is missing or the cluster does not come up.
    pub fn start() -> GarageCluster {
        start().unwrap_or_else(|e| panic!("cannot start the Garage cluster: {e}"))
    }

    /// Node `node`'s S3 endpoint, `127.0.0.1:PORT`.
    pub fn endpoint(&self, node: usize) -> &str {
        &self.nodes[node].server.endpoint
    }

    /// Node `node` as an [`S3Server`]: buckets made through it, its
    /// endpoint, the test key. The INI file (`MINIO_CONFIG_FILE`) of every
    /// node names all three endpoints, so a sandbox made from one node may
    /// be pointed at another.
    pub fn server(&self, node: usize) -> &S3Server {
        &self.nodes[node].server
    }

    /// Kills node `node` with SIGKILL and waits until its S3 port is closed.
    pub fn kill(&self, node: usize) {
        let n = &self.nodes[node];
        let pid = n
            .pid
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_else(|| panic!("node {node} is down already"));
        kill(pid);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(&n.server.endpoint).is_ok() {
            assert!(Instant::now() < deadline, "node {node} still answers");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Starts node `node` again on the data it left, connects it and the
    /// running nodes to each other, and waits until the cluster is fully
    /// operational. (A node reconnects to a peer it lost only every 30 s
    /// by itself; outgoing connections are what make a peer up for it.)
    pub fn restart(&self, node: usize) {
        self.spawn(node)
            .unwrap_or_else(|e| panic!("cannot restart node {node}: {e}"));
        let restarted = &self.nodes[node];
        for (other, peer) in self.nodes.iter().enumerate() {
            if other == node || !self.is_up(other) {
                continue;
            }
            for (from, to) in [(restarted, peer), (peer, restarted)] {
                retried(
                    || {
                        cli(
                            &self.binary,
                            &from.config,
                            &["node", "connect", &format!("{}@{}", to.id, to.rpc)],
                        )
                    },
                    &from.dir,
                )
                .unwrap_or_else(|e| panic!("nodes {node} and {other} cannot connect: {e}"));
            }
        }
        self.wait_until_healthy(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("after restarting node {node}: {e}"));
    }

    /// Whether node `node` runs (as far as this cluster started and killed it).
    pub fn is_up(&self, node: usize) -> bool {
        self.nodes[node]
            .pid
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Files below node `node`'s data folder (the blocks it stored), for
    /// a test that waits for an upload to reach it.
    pub fn data_files(&self, node: usize) -> usize {
        count_files(&self.nodes[node].dir.join("data"))
    }

    /// The log of node `node`, for an error message.
    pub fn log(&self, node: usize) -> String {
        server_log(&self.nodes[node].dir)
    }

    fn spawn(&self, node: usize) -> Result<(), String> {
        let n = &self.nodes[node];
        let mut pid = n.pid.lock().unwrap_or_else(|e| e.into_inner());
        if pid.is_some() {
            return Err("it runs already".to_owned());
        }
        let log = n.dir.join("server.log");
        let started = spawn_server(
            &self.binary,
            &NodeConfig::server_args(&n.config),
            &log,
            None,
        )?;
        *pid = Some(started);
        drop(pid);
        n.server
            .wait_for_port(started, &log, Instant::now() + Duration::from_secs(30))
    }

    /// Waits until every running node's admin API says "fully
    /// operational": every node up, connected, and on the current layout.
    fn wait_until_healthy(&self, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        for (i, node) in self.nodes.iter().enumerate() {
            loop {
                match health(&node.admin) {
                    Ok(text) if text.contains("fully operational") => break,
                    other if Instant::now() > deadline => {
                        return Err(format!(
                            "node {i} is not healthy after {within:?}: {other:?}\n{}",
                            server_log(&node.dir)
                        ));
                    }
                    _ => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        }
        Ok(())
    }
}

impl Drop for GarageCluster {
    fn drop(&mut self) {
        for node in &self.nodes {
            if let Some(pid) = node.pid.lock().unwrap_or_else(|e| e.into_inner()).take() {
                kill(pid);
            }
        }
    }
}

/// The answer of the admin API's `GET /health` (no token needed): 200
/// with "Garage is fully operational" when every node is up.
fn health(admin: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect(admin).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET /health HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    Ok(answer)
}

fn start() -> Result<GarageCluster, String> {
    let binary = binary()?;
    let dir = server_dir("audmodel-garage-cluster-")?;
    remove_when_gone(&dir)?;
    let secret = random_hex(32)?;
    let key = (format!("GK{}", random_hex(12)?), random_hex(32)?);
    let mut nodes = Vec::new();
    for i in 0..NODES {
        let node_dir = dir.join(format!("node{i}"));
        std::fs::create_dir_all(&node_dir).map_err(|e| format!("node folder: {e}"))?;
        let (rpc_port, s3_port, admin_port) = (free_port()?, free_port()?, free_port()?);
        let endpoint = format!("127.0.0.1:{s3_port}");
        let config = NodeConfig {
            dir: &node_dir,
            rpc_port,
            endpoint: &endpoint,
            admin_port: Some(admin_port),
            replication: NODES as u8,
            rpc_secret: &secret,
        }
        .write()?;
        let make_bucket = bucket_maker(binary.clone(), config.clone());
        let server = S3Server::new(
            "garage-cluster",
            endpoint,
            key.clone(),
            &node_dir,
            make_bucket,
        )?;
        nodes.push(Node {
            dir: node_dir,
            config,
            id: String::new(),
            rpc: format!("127.0.0.1:{rpc_port}"),
            admin: format!("127.0.0.1:{admin_port}"),
            server,
            pid: Mutex::new(None),
        });
    }
    let mut cluster = GarageCluster { binary, nodes };
    for i in 0..NODES {
        cluster.spawn(i)?;
    }
    for node in &mut cluster.nodes {
        node.id = node_id(&cluster.binary, &node.config, &node.dir)?;
    }
    let (first, rest) = cluster.nodes.split_at(1);
    for peer in rest {
        retried(
            || {
                cli(
                    &cluster.binary,
                    &first[0].config,
                    &["node", "connect", &format!("{}@{}", peer.id, peer.rpc)],
                )
            },
            &first[0].dir,
        )?;
    }
    let layout: Vec<(String, String)> = cluster
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.clone(), format!("zone{i}")))
        .collect();
    apply_layout(&cluster.binary, &first[0].config, &layout)?;
    import_key(&cluster.binary, &first[0].config, &key)?;
    // Every node's INI file names all endpoints.
    let ini: String = cluster
        .nodes
        .iter()
        .map(|n| {
            format!(
                "[{}]\naccess_key = {}\nsecret_key = {}\nsecure =\n",
                n.server.endpoint, key.0, key.1
            )
        })
        .collect();
    for node in &cluster.nodes {
        std::fs::write(node.server.config_file(), &ini).map_err(|e| format!("INI file: {e}"))?;
    }
    cluster.wait_until_healthy(Duration::from_secs(60))?;
    Ok(cluster)
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => count_files(&e.path()),
            Ok(_) => 1,
            Err(_) => 0,
        })
        .sum()
}

//! A moto server (IAM, Lambda, STS, CloudWatch Logs stand-ins) on a free loopback port.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A moto server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: Child,
    /// The endpoint URL.
    pub url: String,
}

impl Moto {
    /// Start moto and turn off its Docker-based Lambda execution.
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let python =
            std::env::var("DDB_ARCHITECT_PYTHON").unwrap_or_else(|_| "python3".to_string());
        let child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto ({python} -m moto.server): {e}; install it with `pip install 'moto[server]'`"));
        let url = format!("http://127.0.0.1:{port}");
        // Owned from here on, so that a failed start below still stops the process.
        let moto = Moto { child, url };
        let start = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "moto did not start; is `moto[server]` installed?"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // No Docker here: moto must not try to run functions in containers.
        let body = r#"{"lambda": {"use_docker": false}}"#;
        let req = format!(
            "POST /moto-api/config HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        // The port can accept before the server answers: retry until it does.
        let mut reply = String::new();
        while start.elapsed() < Duration::from_secs(30) {
            reply.clear();
            if let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = std::io::Write::write_all(&mut conn, req.as_bytes());
                let _ = std::io::Read::read_to_string(&mut conn, &mut reply);
            }
            if reply.starts_with("HTTP/1.1 20") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(reply.starts_with("HTTP/1.1 20"), "moto config: {reply}");
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

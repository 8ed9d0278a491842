//! Writes a self-signed TLS certificate and its private key (PEM) for
//! `127.0.0.1` and `localhost`: what `scripts/autobahn.sh --tls` uses on a
//! machine without openssl.
//!
//! `cargo run -p testee --example tls-cert -- CERT_PEM KEY_PEM`

use rcgen::{CertificateParams, DnType, KeyPair};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cert_path, key_path] = args.as_slice() else {
        eprintln!("usage: tls-cert CERT_PEM KEY_PEM");
        std::process::exit(2);
    };
    let key = KeyPair::generate().expect("generate a P-256 key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("valid names");
    params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    // Not a CA (no basicConstraints), so rustls takes it as the server's
    // own certificate when it is also the client's only trust anchor.
    let cert = params.self_signed(&key).expect("self-sign");
    for (path, pem) in [(cert_path, cert.pem()), (key_path, key.serialize_pem())] {
        if let Err(e) = std::fs::write(path, pem) {
            eprintln!("tls-cert: cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
}

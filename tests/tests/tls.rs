//! The HTTPS path the functions take to AWS: `remediation::sdk`'s one HTTP client (rustls with
//! ring, the platform's CA certificates) against moto served over TLS, as AWS serves its APIs.
//! A server whose certificate chains to a trusted CA is reached; one whose certificate does not
//! is refused.
//!
//! One test in its own file (its own process): rustls reads the trust store (`SSL_CERT_FILE`)
//! once per process, so the variable is set before the first client exists.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use aws_sdk_sns::error::DisplayErrorContext;
use integration_tests::{free_port, unique, wait_for_port, workspace, Result};
use remediation::sdk::Settings;
use tokio::process::{Child, Command};

/// A CA and a certificate it signed for 127.0.0.1, made with the openssl command line.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

async fn openssl(dir: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("openssl is needed to make test certificates: {e}"))?;
    if !out.status.success() {
        return Err(format!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(())
}

async fn pki(dir: &Path, name: &str) -> Result<Pki> {
    let file = |ext: &str| format!("{name}-{ext}");
    let (ca_key, ca, key, csr, cert, ext) = (
        file("ca.key"),
        file("ca.pem"),
        file("server.key"),
        file("server.csr"),
        file("server.pem"),
        file("server.ext"),
    );
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name} test CA"),
            "-keyout",
            &ca_key,
            "-out",
            &ca,
        ],
    )
    .await?;
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            &key,
            "-out",
            &csr,
        ],
    )
    .await?;
    std::fs::write(
        dir.join(&ext),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    )
    .await?;
    Ok(Pki {
        ca: dir.join(ca),
        cert: dir.join(cert),
        key: dir.join(key),
    })
}

/// moto over TLS with `pki`'s server certificate, on a free port; stopped when dropped.
async fn tls_moto(pki: &Pki) -> Result<(Child, String)> {
    let port = free_port()?;
    let moto = workspace().join(".venv/bin/python");
    let mut child = Command::new(&moto)
        .arg(workspace().join("scripts/moto-server.py"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string(), "-c"])
        .arg(&pki.cert)
        .arg("-k")
        .arg(&pki.key)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{} ({e}): run `make test`", moto.display()))?;
    wait_for_port(port, &mut child, "moto_server over TLS").await?;
    Ok((child, format!("https://127.0.0.1:{port}")))
}

async fn sns(url: &str) -> aws_sdk_sns::Client {
    let settings = Settings {
        initial_backoff: Duration::from_millis(10),
        ..Settings::default()
    };
    let sdk = remediation::sdk::loader(&settings)
        .endpoint_url(url)
        .load()
        .await;
    aws_sdk_sns::Client::new(&sdk)
}

#[tokio::test]
async fn the_sdk_client_speaks_tls_and_verifies_the_server_certificate() {
    let dir = workspace().join("target/tmp").join(unique("tls"));
    std::fs::create_dir_all(dir.join("no-cert-dir")).unwrap();
    let trusted = pki(&dir, "trusted").await.unwrap();
    let stranger = pki(&dir, "stranger").await.unwrap();
    // The trust store is the trusted CA alone, as one bundle file (as on provided.al2023).
    std::env::set_var("SSL_CERT_FILE", &trusted.ca);
    std::env::set_var("SSL_CERT_DIR", dir.join("no-cert-dir"));

    let (_good, good_url) = tls_moto(&trusted).await.unwrap();
    let (_bad, bad_url) = tls_moto(&stranger).await.unwrap();

    let name = unique("tls-topic");
    let client = sns(&good_url).await;
    let arn = client
        .create_topic()
        .name(&name)
        .send()
        .await
        .expect("a server whose certificate chains to a trusted CA is reached over TLS")
        .topic_arn
        .unwrap();
    let topics = client.list_topics().send().await.unwrap();
    assert!(
        topics.topics().iter().any(|t| t.topic_arn() == Some(&arn)),
        "{topics:?}"
    );

    let err = sns(&bad_url)
        .await
        .list_topics()
        .send()
        .await
        .expect_err("a server with a certificate from an unknown CA must be refused");
    let chain = DisplayErrorContext(&err).to_string();
    assert!(
        chain.contains("invalid peer certificate: UnknownIssuer"),
        "not a certificate error: {chain}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

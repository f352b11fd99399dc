//! The blob store against a real S3-compatible server started here: moto (PyPI `moto[server]`),
//! on loopback. `scripts/test.sh` installs it and sets `HADIR_REQUIRE_S3=1`, so in CI a missing
//! moto fails the test instead of skipping it.

use bytes::Bytes;
use hadir_blob::{BlobError, BlobStore, S3Settings, content_hash};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts moto on a free loopback port; `None` (skip) only when moto is absent and not required.
async fn moto() -> Option<Moto> {
    let port = free_port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var_os("HADIR_REQUIRE_S3").is_none(),
                "moto_server is required here but did not start: {e}"
            );
            eprintln!("skipped: moto_server not installed (pip install 'moto[server]')");
            return None;
        }
    };
    let m = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
    let c = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    // S3 CreateBucket is a PUT on the bucket's path; moto accepts it unsigned.
    loop {
        if let Ok(r) = c.put(format!("{}/hadir-test", m.endpoint)).send().await
            && r.status().is_success()
        {
            return Some(m);
        }
        assert!(Instant::now() < deadline, "moto did not come up on {}", m.endpoint);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn settings(endpoint: &str) -> S3Settings {
    S3Settings {
        endpoint: Some(endpoint.into()),
        region: Some("us-east-1".into()),
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        allow_http: Some(true),
    }
}

#[tokio::test]
async fn photos_in_an_s3_bucket() {
    let Some(m) = moto().await else { return };
    let b = BlobStore::from_url("s3://hadir-test/kab-contoh", &settings(&m.endpoint)).unwrap();
    let photo = Bytes::from(vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4]);
    let h = b.put("photos", photo.clone()).await.unwrap();
    assert_eq!(h, content_hash(&photo));
    // Content addressing: the same bytes again store nothing new and give the same name.
    assert_eq!(b.put("photos", photo.clone()).await.unwrap(), h);
    b.sync().await.unwrap();
    assert_eq!(b.get("photos", &h).await.unwrap(), photo);
    b.put_named("thumbs", &h, Bytes::from_static(b"small")).await.unwrap();
    assert_eq!(&b.get("thumbs", &h).await.unwrap()[..], b"small");
    assert!(matches!(b.get("photos", &"0".repeat(64)).await, Err(BlobError::NotFound)));
    assert!(matches!(b.get("photos", "../../etc/passwd").await, Err(BlobError::BadName)));

    // Another instance with the same URL finds it; another prefix does not.
    let other = BlobStore::from_url("s3://hadir-test/kab-contoh/", &settings(&m.endpoint)).unwrap();
    assert_eq!(other.get("photos", &h).await.unwrap(), photo);
    let elsewhere = BlobStore::from_url("s3://hadir-test/kab-lain", &settings(&m.endpoint)).unwrap();
    assert!(matches!(elsewhere.get("photos", &h).await, Err(BlobError::NotFound)));

    // The retention purge deletes; a second delete (an interrupted purge run again) is fine.
    assert!(b.exists("photos", &h).await.unwrap());
    b.delete("photos", &h).await.unwrap();
    assert!(!b.exists("photos", &h).await.unwrap());
    assert!(matches!(other.get("photos", &h).await, Err(BlobError::NotFound)));
    b.delete("photos", &h).await.unwrap();
}

#[tokio::test]
async fn a_missing_bucket_is_an_error_not_a_panic() {
    let Some(m) = moto().await else { return };
    let b = BlobStore::from_url("s3://no-such-bucket", &settings(&m.endpoint)).unwrap();
    assert!(matches!(b.put("photos", Bytes::from_static(b"x")).await, Err(BlobError::Backend(_))));
    assert!(BlobStore::from_url("s3://", &settings(&m.endpoint)).is_err());
}

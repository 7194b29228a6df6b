//! EBS and RDS snapshots against moto: scan prices them, recommend finds the
//! orphaned and the old ones.

use aws_sdk_ec2::types::VolumeType;
use serde_json::Value;

use crate::fleet;
use crate::moto::Moto;
use crate::{finops, json};

fn find<'a>(r: &'a Value, list: &str, id: &str) -> Vec<&'a Value> {
    r[list]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["resource_id"] == id || x["id"] == id)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn orphaned_and_old_snapshots_are_priced_and_found() {
    let moto = Moto::start();
    let conf = moto.config("us-east-1").await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let rds = aws_sdk_rds::Client::new(&conf);
    let snapshot = |volume: String| {
        let ec2 = ec2.clone();
        async move {
            ec2.create_snapshot()
                .volume_id(volume)
                .send()
                .await
                .unwrap()
                .snapshot_id()
                .unwrap()
                .to_string()
        }
    };
    // A snapshot whose volume is then deleted, and one whose volume stays.
    let gone = fleet::volume(&ec2, "us-east-1a", VolumeType::Gp3, 50, None, None).await;
    let orphan = snapshot(gone.clone()).await;
    ec2.delete_volume().volume_id(&gone).send().await.unwrap();
    let kept = fleet::volume(&ec2, "us-east-1a", VolumeType::Gp3, 80, None, None).await;
    let old = snapshot(kept).await;
    // moto's RegisterImage ignores block device mappings: it snapshots a
    // volume of its own (then deletes the volume) for the AMI. That
    // snapshot looks orphaned, but a registered AMI uses it.
    let ami = ec2
        .register_image()
        .name("golden")
        .root_device_name("/dev/xvda")
        .send()
        .await
        .unwrap()
        .image_id()
        .unwrap()
        .to_string();
    let images = ec2.describe_images().image_ids(&ami).send().await.unwrap();
    let ami_snapshot = images.images()[0].block_device_mappings()[0]
        .ebs()
        .and_then(|e| e.snapshot_id())
        .unwrap()
        .to_string();
    // A manual snapshot of a DB instance that is then deleted.
    fleet::db(&rds, "reports", "mysql", "db.t3.micro", false, 20).await;
    rds.create_db_snapshot()
        .db_instance_identifier("reports")
        .db_snapshot_identifier("reports-final")
        .send()
        .await
        .unwrap();
    rds.delete_db_instance()
        .db_instance_identifier("reports")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap();

    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("finops.toml");
    // moto's snapshots are minutes old: the age thresholds are 0 days here.
    std::fs::write(
        &cfg,
        "[recommend]\nsnapshot_orphaned_days = 0\nsnapshot_archive_days = 0\n",
    )
    .unwrap();
    let run = |services: &str, args: &[&str]| {
        let out = finops(home.path())
            .arg("--config")
            .arg(&cfg)
            .args(["--endpoint-url", &moto.url, "--region", "us-east-1"])
            .args(["--services", services, "--no-progress", "-o", "json"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&out.stdout)
    };

    let scan = run("ebs,rds,snapshot", &["scan"]);
    let row = |id: &str| find(&scan, "resources", id)[0].clone();
    let o = row(&old);
    assert_eq!(o["kind"], "ebs_snapshot");
    assert_eq!(o["type"], "standard");
    assert_eq!(o["volume_size_gib"], 80);
    assert_eq!(o["volume_exists"], true);
    // moto gives no FullSnapshotSizeInBytes: 80 GiB at $0.05/GiB-month.
    assert_eq!(o["monthly_usd"], 4.0);
    assert!(
        o["price_notes"][0]
            .as_str()
            .unwrap()
            .contains("volume size: an upper bound"),
        "{o}"
    );
    assert_eq!(row(&orphan)["volume_exists"], false);
    assert_eq!(row(&ami_snapshot)["image_ids"], serde_json::json!([ami]));
    let db = row("reports-final");
    assert_eq!(db["kind"], "rds_snapshot");
    assert_eq!(db["db_instance_exists"], false);
    // 20 GiB at the mysql backup storage rate, $0.095/GiB-month.
    assert_eq!(db["monthly_usd"], 1.9);

    let rec = run("ebs,rds,snapshot", &["recommend"]);
    let only = |id: &str| {
        let f = find(&rec, "recommendations", id);
        assert_eq!(f.len(), 1, "{id}: {f:?}");
        f[0].clone()
    };
    let o = only(&orphan);
    assert_eq!(o["rule"], "snapshot_orphaned");
    assert_eq!(o["action"], "delete_snapshot");
    assert_eq!(o["monthly_savings_usd"], 2.5);
    let a = only(&old);
    assert_eq!(a["rule"], "snapshot_old");
    assert_eq!(a["action"], "archive_snapshot");
    // 80 GiB: $4.00 standard, $1.00 archive.
    assert_eq!(a["current_monthly_usd"], 4.0);
    assert_eq!(a["new_monthly_usd"], 1.0);
    assert_eq!(a["monthly_savings_usd"], 3.0);
    assert_eq!(a["target"]["storage_tier"], "archive");
    assert!(find(&rec, "recommendations", &ami_snapshot).is_empty());
    let d = only("reports-final");
    assert_eq!(d["rule"], "rds_snapshot_orphaned");
    assert_eq!(d["action"], "delete_snapshot");
    assert_eq!(d["monthly_savings_usd"], 1.9);

    // Without the volumes and DB instances listed, nobody knows whether
    // they are gone: no snapshot is called orphaned (the old one is still
    // worth archiving).
    let rec = run("snapshot", &["recommend"]);
    assert!(
        find(&rec, "recommendations", &orphan)
            .iter()
            .all(|r| r["rule"] != "snapshot_orphaned")
    );
    assert!(find(&rec, "recommendations", "reports-final").is_empty());
    assert_eq!(
        find(&rec, "recommendations", &old)[0]["rule"],
        "snapshot_old"
    );
}

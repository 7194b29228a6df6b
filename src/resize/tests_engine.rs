//! The engine's rollback and interrupt paths, through the in-memory fake
//! with injected faults and a scripted prompt: no moto, pty or signal (moto
//! cannot fail a start or misreport a type on cue).

use std::time::Duration;

use super::engine::{Engine, Options, State, Status};
use super::fake::{Effect, Failing, Fake};
use super::prompt::{Answer, Direction, Prompt, Scripted, Walk};
use super::walk::Candidate;
use crate::error::ExitStatus;
use crate::inventory::{Details, Ec2Instance, Resource};
use crate::output::Printer;
use crate::resize::ResizeSettings;
use crate::signals::{Interrupts, Raise};
use crate::state::savings::Savings;

const REGION: &str = "us-east-1";
const FROM: &str = "m5.2xlarge";
const TO: &str = "m5.xlarge";

fn id(n: u32) -> String {
    format!("i-{n:017x}")
}

fn instance(n: u32) -> Resource {
    Resource {
        account_id: None,
        account_name: None,
        id: id(n),
        region: REGION.into(),
        state: "running".into(),
        type_: FROM.into(),
        name: None,
        tags: Default::default(),
        details: Details::Ec2Instance(Box::new(Ec2Instance {
            availability_zone: "us-east-1a".into(),
            platform: "Linux/UNIX".into(),
            architecture: "x86_64".into(),
            tenancy: "default".into(),
            root_device_type: Some("ebs".into()),
            ..Default::default()
        })),
    }
}

/// A fleet of `n` running m5.2xlarge instances.
fn fleet(n: u32) -> Fake {
    let fake = Fake::default();
    for i in 1..=n {
        fake.add(instance(i));
    }
    fake
}

struct Run {
    dir: tempfile::TempDir,
    printer: Printer,
    settings: ResizeSettings,
    raise: Raise,
    interrupts: Interrupts,
}

impl Run {
    fn new() -> Run {
        let (raise, interrupts) = Interrupts::manual();
        Run {
            dir: tempfile::tempdir().unwrap(),
            printer: Printer::plain(),
            settings: ResizeSettings {
                protect_tag: "finops:protect".into(),
                allowed_accounts: vec![],
                wait_timeout: Duration::from_secs(10),
                // Long enough that a raised interrupt is seen while the
                // engine waits, short enough to keep the tests quick.
                poll_interval: Duration::from_millis(50),
            },
            raise,
            interrupts,
        }
    }

    fn engine<A, P>(&self, apis: A, prompt: P, opts: Options, interactive: bool) -> Engine<'_, A, P>
    where
        A: super::api::Apis,
        P: Prompt,
    {
        Engine {
            apis,
            prompt,
            view: &self.printer,
            settings: &self.settings,
            opts,
            interactive,
            account: None,
            state: Some(State::open(self.dir.path()).unwrap()),
            interrupts: Some(self.interrupts.clone()),
        }
    }

    fn savings(&self) -> usize {
        let path = crate::state::database_path(self.dir.path());
        Savings::open(&path).unwrap().list().unwrap().len()
    }
}

fn opts(to: Option<&str>, yes: bool) -> Options {
    Options {
        to: to.map(str::to_owned),
        dry_run: false,
        yes,
        max_changes: 10,
        apply_immediately: false,
        allow_upsize: false,
        lookback_days: 14,
    }
}

fn calls(list: &[(&str, u32, &str)]) -> Vec<String> {
    list.iter()
        .map(|(op, n, t)| {
            format!(
                "{op} {}{}",
                id(*n),
                if t.is_empty() {
                    String::new()
                } else {
                    format!(" {t}")
                }
            )
        })
        .collect()
}

/// The journal entry of the run's first change: (status, error).
fn journal<A: super::api::Apis, P: Prompt>(e: &Engine<'_, A, P>) -> (String, String) {
    let entry = e.state().unwrap().journal.get(1).unwrap().unwrap();
    (entry.status, entry.error.unwrap_or_default())
}

#[tokio::test]
async fn a_failed_start_puts_the_old_type_back_and_starts_it() {
    let run = Run::new();
    let fake = fleet(1);
    let apis = Failing::new(fake.clone()).at("StartInstances", 1, Effect::Fail);
    let mut e = run.engine(
        apis,
        Scripted::new([Answer::Yes]),
        opts(Some(TO), false),
        true,
    );
    let done = e.single(&id(1), &[REGION.into()]).await.unwrap();
    assert_eq!(done.status, ExitStatus::Failure);
    assert_eq!(done.changes.len(), 1);
    assert_eq!(done.changes[0].status, Status::RolledBack);
    assert!(
        done.changes[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("failed at step start"),
        "{:?}",
        done.changes[0].reason
    );
    // The failed start never reached EC2; the rollback's did.
    assert_eq!(
        fake.changes(),
        calls(&[
            ("StopInstances", 1, ""),
            ("ModifyInstanceAttribute", 1, TO),
            ("ModifyInstanceAttribute", 1, FROM),
            ("StartInstances", 1, ""),
        ])
    );
    assert_eq!(fake.now(&id(1)), ("running".into(), FROM.into()));
    let (status, error) = journal(&e);
    assert_eq!(status, "rolled_back");
    assert!(error.contains("StartInstances failed"), "{error}");
    assert_eq!(run.savings(), 0);
}

/// Instance 1 was changed and started, then stopped, put back to FROM and
/// started again; the run failed, the change and its journal entry ended
/// rolled back. The journal's error, for the test's own check.
fn changed_then_rolled_back<A: super::api::Apis, P: Prompt>(
    done: &super::engine::Done,
    fake: &Fake,
    e: &Engine<'_, A, P>,
) -> String {
    assert_eq!(done.status, ExitStatus::Failure);
    assert_eq!(done.changes[0].status, Status::RolledBack);
    assert_eq!(
        fake.changes(),
        calls(&[
            ("StopInstances", 1, ""),
            ("ModifyInstanceAttribute", 1, TO),
            ("StartInstances", 1, ""),
            ("StopInstances", 1, ""),
            ("ModifyInstanceAttribute", 1, FROM),
            ("StartInstances", 1, ""),
        ])
    );
    assert_eq!(fake.now(&id(1)), ("running".into(), FROM.into()));
    let (status, error) = journal(e);
    assert_eq!(status, "rolled_back");
    error
}

#[tokio::test]
async fn a_wrong_type_after_the_change_is_rolled_back() {
    let run = Run::new();
    let fake = fleet(1);
    fake.modify_lands_as(TO, "m5.large");
    let mut e = run.engine(fake.clone(), Scripted::new([]), opts(Some(TO), true), false);
    let done = e.single(&id(1), &[REGION.into()]).await.unwrap();
    let error = changed_then_rolled_back(&done, &fake, &e);
    assert!(
        error.contains("is m5.large after the change, not m5.xlarge"),
        "{error}"
    );
    assert_eq!(run.savings(), 0);
}

#[tokio::test]
async fn rolling_back_when_asked_after_an_interrupt() {
    let run = Run::new();
    let fake = fleet(1);
    let apis = Failing::new(fake.clone()).at(
        "ModifyInstanceAttribute",
        1,
        Effect::Interrupt(run.raise.clone(), "SIGINT"),
    );
    let script = Scripted::new([Answer::Yes, Answer::Direction(Direction::RollBack)]);
    let mut e = run.engine(apis, script, opts(Some(TO), false), true);
    let done = e.single(&id(1), &[REGION.into()]).await.unwrap();
    assert_eq!(e.prompt.left(), 0, "the finish question was not asked");
    let error = changed_then_rolled_back(&done, &fake, &e);
    assert_eq!(error, "interrupted by SIGINT");
    assert_eq!(run.savings(), 0);
}

#[tokio::test]
async fn a_walk_interrupted_during_the_second_change_stops_after_it() {
    let run = Run::new();
    let fake = fleet(4);
    // The signal arrives as the second change's status checks pass.
    let apis = Failing::new(fake.clone()).at(
        "DescribeInstanceStatus",
        2,
        Effect::Interrupt(run.raise.clone(), "SIGTERM"),
    );
    let list: Vec<Candidate> = (1..=4)
        .map(|n| Candidate {
            account: None,
            id: id(n),
            region: REGION.into(),
            target: TO.into(),
        })
        .collect();
    let mut e = run.engine(apis, Scripted::new([]), opts(None, true), false);
    let done = e.batch(&list).await.unwrap();
    assert_eq!(done.status, ExitStatus::Failure);
    let made: Vec<_> = done
        .changes
        .iter()
        .map(|c| (c.resource_id.clone(), c.status))
        .collect();
    assert_eq!(
        made,
        vec![(id(1), Status::Applied), (id(2), Status::Applied)],
        "the rest is not started"
    );
    let mut want = Vec::new();
    for n in 1..=2 {
        want.extend(calls(&[
            ("StopInstances", n, ""),
            ("ModifyInstanceAttribute", n, TO),
            ("StartInstances", n, ""),
        ]));
    }
    assert_eq!(fake.changes(), want);
    for n in 1..=2 {
        assert_eq!(fake.now(&id(n)), ("running".into(), TO.into()));
    }
    for n in 3..=4 {
        assert_eq!(fake.now(&id(n)), ("running".into(), FROM.into()));
    }
    assert_eq!(run.savings(), 2);
    assert!(e.state().unwrap().journal.in_flight().unwrap().is_empty());
}

#[tokio::test]
async fn a_walk_skips_applies_and_quits_as_answered() {
    let run = Run::new();
    let fake = fleet(3);
    let list: Vec<Candidate> = (1..=3)
        .map(|n| Candidate {
            account: None,
            id: id(n),
            region: REGION.into(),
            target: TO.into(),
        })
        .collect();
    let script = Scripted::new([
        Answer::Walk(Walk::Skip),
        Answer::Walk(Walk::Apply),
        Answer::Walk(Walk::Quit),
    ]);
    let mut e = run.engine(fake.clone(), script, opts(None, false), true);
    let done = e.batch(&list).await.unwrap();
    assert_eq!(done.status, ExitStatus::Success);
    let made: Vec<_> = done
        .changes
        .iter()
        .map(|c| (c.resource_id.clone(), c.status))
        .collect();
    assert_eq!(
        made,
        vec![(id(1), Status::Skipped), (id(2), Status::Applied)]
    );
    assert_eq!(
        fake.changes(),
        calls(&[
            ("StopInstances", 2, ""),
            ("ModifyInstanceAttribute", 2, TO),
            ("StartInstances", 2, ""),
        ])
    );
    assert_eq!(run.savings(), 1);
}

#[tokio::test]
async fn a_declined_change_changes_nothing() {
    let run = Run::new();
    let fake = fleet(1);
    let mut e = run.engine(
        fake.clone(),
        Scripted::new([Answer::No]),
        opts(Some(TO), false),
        true,
    );
    let done = e.single(&id(1), &[REGION.into()]).await.unwrap();
    assert_eq!(done.status, ExitStatus::Success);
    assert_eq!(done.changes[0].status, Status::Declined);
    assert!(fake.changes().is_empty());
    assert!(e.state().unwrap().journal.get(1).unwrap().is_none());
}

#[tokio::test]
async fn recover_rolls_back_a_change_that_had_failed() {
    let run = Run::new();
    let fake = fleet(1);
    let mut plan = super::Plan::new(&instance(1), super::Kind::Ec2Instance, TO);
    plan.was_running = true;
    // Left by a run that died after the type change and a failed start.
    let mut left = instance(1);
    left.state = "stopped".into();
    left.type_ = TO.into();
    fake.add(left);
    let mut e = run.engine(fake.clone(), Scripted::new([]), opts(None, false), false);
    let journal_entry = {
        let j = &e.state().unwrap().journal;
        let id = j
            .begin(&crate::state::journal::Begin {
                resource_id: &plan.resource_id,
                account_id: None,
                kind: plan.kind.name(),
                region: &plan.region,
                from_type: &plan.from,
                to_type: &plan.to,
                was_running: true,
                plan: &serde_json::to_value(&plan).unwrap(),
            })
            .unwrap();
        j.step(id, "start").unwrap();
        j.note_error(id, "StartInstances failed").unwrap();
        id
    };
    let done = e.recover().await.unwrap();
    assert_eq!(done.status, ExitStatus::Success);
    assert_eq!(
        fake.changes(),
        calls(&[
            ("ModifyInstanceAttribute", 1, FROM),
            ("StartInstances", 1, ""),
        ])
    );
    assert_eq!(fake.now(&id(1)), ("running".into(), FROM.into()));
    let entry = e
        .state()
        .unwrap()
        .journal
        .get(journal_entry)
        .unwrap()
        .unwrap();
    assert_eq!(entry.status, "rolled_back");
    assert_eq!(run.savings(), 0);
}

#[tokio::test]
async fn a_volume_changed_by_one_call_records_its_saving() {
    let run = Run::new();
    let fake = Fake::default();
    let vol = "vol-0123456789abcdef0";
    fake.add(Resource {
        account_id: None,
        account_name: None,
        id: vol.into(),
        region: REGION.into(),
        state: "in-use".into(),
        type_: "gp2".into(),
        name: None,
        tags: Default::default(),
        details: Details::EbsVolume(Box::new(crate::inventory::EbsVolume {
            availability_zone: "us-east-1a".into(),
            size_gib: 500,
            ..Default::default()
        })),
    });
    let mut e = run.engine(
        fake.clone(),
        Scripted::new([]),
        opts(Some("gp3"), true),
        false,
    );
    let done = e.single(vol, &[REGION.into()]).await.unwrap();
    assert_eq!(done.status, ExitStatus::Success);
    assert_eq!(done.changes[0].status, Status::Applied);
    assert_eq!(fake.changes(), vec![format!("ModifyVolume {vol} gp3")]);
    assert_eq!(fake.now(vol).1, "gp3");
    assert_eq!(run.savings(), 1);
    let (status, _) = journal(&e);
    assert_eq!(status, "done");
}

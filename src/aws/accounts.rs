//! Which AWS accounts a run covers, and credentials for each: the
//! credentials' own account, several profiles, a list of accounts reached by
//! assuming a role, or every account of an AWS Organization (optionally under
//! some organizational units), narrowed by `--accounts`,
//! `--exclude-accounts` and `--shard K/N`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_organizations::types::{AccountState, AccountStatus as OrgStatus, ChildType};
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::{Aws, AwsCloud, AwsConfig, CallCounter, hint_for, root_cause, scan_error};
use crate::cloud::{Account, Fleet, Member};
use crate::error::{HintedError, UsageError};
use crate::inventory::{AccountEntry, AccountStatus, ScanError, is_account_id};
use crate::progress::Progress;

/// The role finops assumes in member accounts unless told otherwise: the
/// one AWS Organizations creates in every account it creates.
pub(crate) const DEFAULT_ROLE: &str = "OrganizationAccountAccessRole";

/// The session name on every assumed role, so CloudTrail shows who it was.
pub(crate) const SESSION_NAME: &str = "finops";

/// Assumed credentials are renewed this long before they expire.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);

/// The config file's `[accounts]` table.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountsFile {
    /// The role assumed in each member account.
    pub(crate) role_name: Option<String>,
    /// The external id the role's trust policy asks for.
    pub(crate) external_id: Option<String>,
    /// Accounts scanned at once.
    pub(crate) max_concurrent: Option<usize>,
}

/// `--shard K/N`: the K-th of N disjoint parts of the accounts (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) k: u64,
    pub(crate) n: u64,
}

impl Shard {
    pub(crate) fn parse(s: &str) -> Result<Shard, UsageError> {
        let bad = || {
            UsageError::new(
                format!("invalid --shard {s:?}: expected K/N with 1 <= K <= N"),
                "e.g. --shard 1/3, --shard 2/3 and --shard 3/3 cover every account once",
            )
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (u64, u64) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    /// Whether the account is in this shard: the SHA-256 of its id, read as
    /// a big-endian number, modulo N is K-1. It depends on the id alone, so
    /// adding an account to the organization moves no other account.
    pub(crate) fn holds(&self, account_id: &str) -> bool {
        let digest = Sha256::digest(account_id.as_bytes());
        let rem = digest.iter().fold(0u128, |r, b| {
            (r * 256 + u128::from(*b)) % u128::from(self.n)
        });
        rem == u128::from(self.k - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// Which accounts a run covers, as the settings resolved them.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    /// `--org`: every account of the organization.
    pub(crate) org: bool,
    /// `--ou`: only the accounts under these organizational units.
    pub(crate) ous: Vec<String>,
    pub(crate) role_name: String,
    pub(crate) external_id: Option<String>,
    /// `--accounts`: only these (with `--org` a filter, else the accounts to
    /// assume the role into).
    pub(crate) only: Vec<String>,
    pub(crate) exclude: Vec<String>,
    /// More than one `--profile`: each is its own account.
    pub(crate) profiles: Vec<String>,
    pub(crate) shard: Option<Shard>,
    /// Accounts worked on at once.
    pub(crate) max_concurrent: usize,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            org: false,
            ous: Vec::new(),
            role_name: DEFAULT_ROLE.into(),
            external_id: None,
            only: Vec::new(),
            exclude: Vec::new(),
            profiles: Vec::new(),
            shard: None,
            max_concurrent: 4,
        }
    }
}

/// Check a list of account ids from a flag: 12 digits each.
pub(crate) fn account_ids(flag: &str, ids: &[String]) -> Result<Vec<String>, UsageError> {
    let mut out = Vec::new();
    for id in ids {
        let id = id.trim();
        if !is_account_id(id) {
            return Err(UsageError::new(
                format!("invalid {flag} {id:?}: an AWS account id is 12 digits"),
                format!("e.g. {flag} 123456789012,210987654321"),
            ));
        }
        if !out.iter().any(|x| x == id) {
            out.push(id.to_string());
        }
    }
    Ok(out)
}

impl Selection {
    /// Whether the filters keep this account.
    fn keeps(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|a| a == id))
            && !self.exclude.iter().any(|a| a == id)
            && self.shard.is_none_or(|s| s.holds(id))
    }

    /// More than the credentials' own account may be in the run.
    pub(crate) fn is_multi(&self) -> bool {
        self.org || !self.only.is_empty() || self.profiles.len() > 1
    }
}

/// What building a member's cloud needs besides its credentials.
pub(crate) struct CloudParts {
    pub(crate) concurrency: usize,
    pub(crate) state_dir: Option<PathBuf>,
}

/// Every account of the run, each with credentials, as the selection says.
/// Accounts that are suspended, or whose role cannot be assumed, are in the
/// fleet's `unreached` with why; an error means no account can be listed at
/// all (the organization cannot be read, the credentials are not valid).
pub(crate) async fn fleet(
    config: &AwsConfig,
    sel: &Selection,
    parts: &CloudParts,
    progress: &dyn Progress,
) -> anyhow::Result<Fleet> {
    let calls = CallCounter::default();
    let mut members = Vec::new();
    let mut unreached = Vec::new();
    if sel.profiles.len() > 1 {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for p in &sel.profiles {
            let cfg = AwsConfig {
                profile: Some(p.clone()),
                profile_explicit: true,
                ..config.clone()
            };
            let aws = Aws::load(&cfg).await?.with_counter(calls.clone());
            let id = caller_account(&aws).await.map_err(|e| {
                HintedError::new(
                    format!("cannot tell which account AWS profile {p:?} is in: {e}"),
                    format!("check it with `aws sts get-caller-identity --profile {p}`"),
                )
            })?;
            if !seen.insert(id.clone()) {
                progress.note(&format!(
                    "AWS profile {p:?} is account {id}, already in this run: scanned once"
                ));
                continue;
            }
            if sel.keeps(&id) {
                members.push(member(aws, Account::new(&id, None), parts));
            }
        }
    } else {
        let aws = Aws::load(config).await?.with_counter(calls.clone());
        if !sel.is_multi() {
            // One account: its id marks the resources; when the credentials
            // cannot say, discovery reports what is wrong with them.
            let account = caller_account(&aws).await.ok();
            if account.as_deref().is_none_or(|id| sel.keeps(id)) {
                let account = account.map(|id| Account::new(&id, None));
                members.push(Member {
                    cloud: Box::new(cloud(aws, account.as_ref(), parts)),
                    account,
                });
            }
        } else {
            let caller = caller_account(&aws).await.map_err(|e| {
                HintedError::new(
                    format!("cannot tell which account the credentials are in: {e}"),
                    "check them with `aws sts get-caller-identity`",
                )
            })?;
            let listed = if sel.org {
                organization_accounts(&aws, sel, progress).await?
            } else {
                sel.only
                    .iter()
                    .map(|id| Listed {
                        id: id.clone(),
                        name: None,
                        active: true,
                        status: String::new(),
                    })
                    .collect()
            };
            if sel.org && listed.is_empty() {
                return Err(HintedError::new(
                    if sel.ous.is_empty() {
                        "the organization lists no accounts".to_string()
                    } else {
                        format!("no account under the OUs given ({})", sel.ous.join(", "))
                    },
                    "check that these credentials are the management account's or a delegated administrator's, and the --ou ids (`aws organizations list-accounts`)",
                )
                .into());
            }
            let (m, u) = reach(&aws, &caller, listed, sel, parts).await;
            members = m;
            unreached = u;
        }
    }
    if members.is_empty() && unreached.is_empty() {
        progress.warning(&format!(
            "no account is left to scan after --accounts, --exclude-accounts{}",
            sel.shard
                .map(|s| format!(" and --shard {s}"))
                .unwrap_or_default()
        ));
    }
    let counter = calls.clone();
    Ok(Fleet {
        members,
        unreached,
        max_concurrent: sel.max_concurrent.max(1),
        calls: Some(Box::new(move || counter.snapshot())),
    })
}

fn cloud(aws: Aws, account: Option<&Account>, parts: &CloudParts) -> AwsCloud {
    AwsCloud {
        aws,
        account: account.map(|a| a.id.clone()),
        concurrency: parts.concurrency,
        state_dir: parts.state_dir.clone(),
    }
}

fn member(aws: Aws, account: Account, parts: &CloudParts) -> Member {
    Member {
        cloud: Box::new(cloud(aws, Some(&account), parts)),
        account: Some(account),
    }
}

impl Account {
    fn new(id: &str, name: Option<&str>) -> Account {
        Account {
            id: Arc::from(id),
            name: name.map(Arc::from),
        }
    }
}

/// An account as the organization lists it.
struct Listed {
    id: String,
    name: Option<String>,
    active: bool,
    /// The organization's status for it (ACTIVE, SUSPENDED, ...).
    status: String,
}

/// Credentials for each listed account the filters keep: the caller's own
/// account directly, the others through the role. Roles are assumed a few
/// at a time; one that cannot be assumed leaves its account failed.
async fn reach(
    aws: &Aws,
    caller: &str,
    listed: Vec<Listed>,
    sel: &Selection,
    parts: &CloudParts,
) -> (Vec<Member>, Vec<(AccountEntry, Option<ScanError>)>) {
    let mut unreached = Vec::new();
    let mut todo = Vec::new();
    for a in listed.into_iter().filter(|a| sel.keeps(&a.id)) {
        if a.active {
            todo.push(a);
        } else {
            unreached.push((
                AccountEntry {
                    id: Arc::from(a.id.as_str()),
                    name: a.name.as_deref().map(Arc::from),
                    status: AccountStatus::Skipped,
                    error: Some(format!("the account is {}", a.status)),
                },
                None,
            ));
        }
    }
    let results: Vec<(Listed, Result<Aws, ScanError>)> = futures::stream::iter(todo)
        .map(|a| async move {
            let r = if a.id == caller {
                Ok(aws.clone())
            } else {
                assume(aws, &a.id, sel).await
            };
            (a, r)
        })
        .buffered(sel.max_concurrent.max(1) * 2)
        .collect()
        .await;
    let mut members = Vec::new();
    for (a, r) in results {
        let account = Account::new(&a.id, a.name.as_deref());
        match r {
            Ok(aws) => members.push(member(aws, account, parts)),
            Err(e) => unreached.push((
                AccountEntry {
                    id: account.id,
                    name: account.name,
                    status: AccountStatus::Failed,
                    error: Some(format!("{} ({})", super::describe(&e), hint_for(&e))),
                },
                Some(e),
            )),
        }
    }
    (members, unreached)
}

/// Credentials in any account on demand, for commands that act in one
/// account at a time (resize): the credentials' own, or the account's role,
/// assumed once and kept.
pub(crate) struct Reach {
    base: Aws,
    sel: Selection,
    caller: tokio::sync::OnceCell<Option<String>>,
    assumed: tokio::sync::Mutex<std::collections::HashMap<String, Aws>>,
}

impl Reach {
    pub(crate) fn new(base: Aws, sel: Selection) -> Reach {
        Reach {
            base,
            sel,
            caller: tokio::sync::OnceCell::new(),
            assumed: tokio::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The credentials' own configuration.
    pub(crate) fn base(&self) -> &Aws {
        &self.base
    }

    /// The account the credentials are in (asked once).
    pub(crate) async fn caller(&self) -> Option<String> {
        self.caller
            .get_or_init(|| async { caller_account(&self.base).await.ok() })
            .await
            .clone()
    }

    /// Configuration in `account`: the credentials' own when they are in it,
    /// else through the role (`--role-name`, `--external-id`).
    pub(crate) async fn aws_for(&self, account: &str) -> anyhow::Result<Aws> {
        if self.caller().await.as_deref() == Some(account) {
            return Ok(self.base.clone());
        }
        let mut assumed = self.assumed.lock().await;
        if let Some(aws) = assumed.get(account) {
            return Ok(aws.clone());
        }
        let aws = assume(&self.base, account, &self.sel).await.map_err(|e| {
            HintedError::new(
                format!("cannot act in account {account}: {}", super::describe(&e)),
                hint_for(&e),
            )
        })?;
        assumed.insert(account.to_string(), aws.clone());
        Ok(aws)
    }
}

/// The account the credentials belong to (sts:GetCallerIdentity).
async fn caller_account(aws: &Aws) -> Result<String, String> {
    aws.sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| root_cause(&e))?
        .account()
        .map(str::to_owned)
        .ok_or_else(|| "no account in the answer".to_string())
}

/// Credentials in `account` through the role, assumed now (so a denied role
/// is known before any scan) and renewed before they expire.
async fn assume(aws: &Aws, account: &str, sel: &Selection) -> Result<Aws, ScanError> {
    let role = AssumedRole {
        sts: aws.sts(),
        arn: format!("arn:aws:iam::{account}:role/{}", sel.role_name),
        external_id: sel.external_id.clone(),
        cached: Arc::new(tokio::sync::Mutex::new(None)),
    };
    let mut e = match role.fresh().await {
        Ok(_) => return Ok(aws.with_credentials(SharedCredentialsProvider::new(role))),
        Err(e) => e,
    };
    e.account_id = Some(Arc::from(account));
    Err(e)
}

/// A role's credentials, kept until shortly before they expire.
#[derive(Debug, Clone)]
struct AssumedRole {
    sts: aws_sdk_sts::Client,
    arn: String,
    external_id: Option<String>,
    cached: Arc<tokio::sync::Mutex<Option<Credentials>>>,
}

impl AssumedRole {
    async fn fresh(&self) -> Result<Credentials, ScanError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && c.expiry()
                .is_none_or(|t| t > SystemTime::now() + REFRESH_BEFORE)
        {
            return Ok(c.clone());
        }
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.arn)
            .role_session_name(SESSION_NAME)
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| scan_error("", "sts", "AssumeRole", &e))?;
        let c = out.credentials().ok_or_else(|| ScanError {
            account_id: None,
            region: String::new(),
            service: "sts".into(),
            operation: Some("AssumeRole".into()),
            code: None,
            message: format!("no credentials in the answer for {}", self.arn),
        })?;
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            SystemTime::try_from(*c.expiration()).ok(),
            "finops-assume-role",
        );
        *cached = Some(creds.clone());
        Ok(creds)
    }
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            self.fresh()
                .await
                .map_err(|e| provider::error::CredentialsError::provider_error(super::describe(&e)))
        })
    }
}

/// The organization's accounts (all, or those under the OUs given).
/// The account whose bill a spend report reads, and the linked accounts it
/// is filtered to (with their names): without `--org`, the credentials'
/// own account; with it, the organization's active accounts the selection
/// keeps, or no filter at all when it keeps every one.
pub(crate) struct BillScope {
    pub(crate) caller: String,
    pub(crate) filter: Vec<String>,
    pub(crate) names: Vec<(String, String)>,
}

pub(crate) async fn bill_scope(
    aws: &Aws,
    sel: &Selection,
    progress: &dyn Progress,
) -> anyhow::Result<BillScope> {
    let caller = caller_account(aws).await.map_err(|e| {
        HintedError::new(
            format!("cannot tell which account the credentials are in: {e}"),
            "check them with `aws sts get-caller-identity`",
        )
    })?;
    if !sel.org {
        let filter = if sel.only.is_empty() {
            vec![caller.clone()]
        } else {
            sel.only.clone()
        };
        return Ok(BillScope {
            caller,
            filter,
            names: Vec::new(),
        });
    }
    let listed = organization_accounts(aws, sel, progress).await?;
    let names = listed
        .iter()
        .filter_map(|a| a.name.clone().map(|n| (a.id.clone(), n)))
        .collect();
    let narrowed = !sel.ous.is_empty()
        || !sel.only.is_empty()
        || !sel.exclude.is_empty()
        || sel.shard.is_some();
    let filter = if narrowed {
        listed
            .iter()
            .filter(|a| a.active && sel.keeps(&a.id))
            .map(|a| a.id.clone())
            .collect()
    } else {
        Vec::new()
    };
    if narrowed && filter.is_empty() {
        return Err(HintedError::new(
            "no account of the organization is left after --ou, --accounts, --exclude-accounts and --shard",
            "check the ids (`aws organizations list-accounts`)",
        )
        .into());
    }
    Ok(BillScope {
        caller,
        filter,
        names,
    })
}

async fn organization_accounts(
    aws: &Aws,
    sel: &Selection,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<Listed>> {
    let org = aws.organizations();
    let fail = |op: &str, e: ScanError| {
        anyhow::Error::new(HintedError::new(
            format!(
                "cannot list the organization's accounts ({op}): {}",
                e.code
                    .as_deref()
                    .map(|c| format!("{c}: {}", e.message))
                    .unwrap_or(e.message)
            ),
            "use the management account's credentials, or a delegated administrator's, with organizations:ListAccounts (README: Organizations)",
        ))
    };
    let mut out = Vec::new();
    if sel.ous.is_empty() {
        let mut pages = org.list_accounts().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                fail(
                    "ListAccounts",
                    scan_error("", "organizations", "ListAccounts", &e),
                )
            })?;
            out.extend(page.accounts().iter().filter_map(listed));
        }
    } else {
        let mut parents: Vec<String> = sel.ous.clone();
        let mut seen = BTreeSet::new();
        while let Some(parent) = parents.pop() {
            if !seen.insert(parent.clone()) {
                continue;
            }
            let mut pages = org
                .list_accounts_for_parent()
                .parent_id(&parent)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| {
                    fail(
                        "ListAccountsForParent",
                        scan_error("", "organizations", "ListAccountsForParent", &e),
                    )
                })?;
                out.extend(page.accounts().iter().filter_map(listed));
            }
            let mut pages = org
                .list_children()
                .parent_id(&parent)
                .child_type(ChildType::OrganizationalUnit)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| {
                    fail(
                        "ListChildren",
                        scan_error("", "organizations", "ListChildren", &e),
                    )
                })?;
                parents.extend(
                    page.children()
                        .iter()
                        .filter_map(|c| c.id().map(str::to_owned)),
                );
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    for id in &sel.only {
        if !out.iter().any(|a| &a.id == id) {
            progress.warning(&format!(
                "account {id} (--accounts) is not in the organization{}: left out",
                if sel.ous.is_empty() {
                    ""
                } else {
                    " under the OUs given"
                }
            ));
        }
    }
    Ok(out)
}

fn listed(a: &aws_sdk_organizations::types::Account) -> Option<Listed> {
    let id = a.id()?.to_string();
    // `State` replaces `Status`; either says whether the account is active.
    let (active, status) = match (a.state(), a.status()) {
        (Some(s), _) => (*s == AccountState::Active, s.as_str().to_string()),
        (None, Some(s)) => (*s == OrgStatus::Active, s.as_str().to_string()),
        (None, None) => (true, String::new()),
    };
    Some(Listed {
        id,
        name: a.name().map(str::to_owned),
        active,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_reject_what_is_not_k_of_n() {
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { k: 2, n: 3 });
        for bad in [
            "0/3", "4/3", "1/0", "x/y", "1", "", "/3", "1/", "-1/3", "1/3/4",
        ] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_cover_every_account_exactly_once() {
        let ids: Vec<String> = (0..500u64)
            .map(|i| format!("{:012}", i * 7_919 + 100_000_000_000))
            .collect();
        for n in 1..=7 {
            let shards: Vec<Shard> = (1..=n).map(|k| Shard { k, n }).collect();
            for id in &ids {
                assert_eq!(
                    shards.iter().filter(|s| s.holds(id)).count(),
                    1,
                    "{id} in {n}"
                );
            }
            // Every shard gets some accounts (the hash spreads them).
            if n > 1 {
                assert!(shards.iter().all(|s| ids.iter().any(|id| s.holds(id))));
            }
        }
    }

    #[test]
    fn account_ids_must_be_twelve_digits() {
        assert_eq!(
            account_ids(
                "--accounts",
                &["111122223333".into(), "111122223333".into()]
            )
            .unwrap(),
            vec!["111122223333".to_string()]
        );
        for bad in ["12345", "11112222333a", "1111222233334", ""] {
            let e = account_ids("--accounts", &[bad.into()]).unwrap_err();
            assert!(e.message.contains("12 digits"), "{}", e.message);
        }
    }

    #[test]
    fn filters_combine() {
        let sel = Selection {
            only: vec!["111111111111".into(), "222222222222".into()],
            exclude: vec!["222222222222".into()],
            ..Selection::default()
        };
        assert!(sel.keeps("111111111111"));
        assert!(!sel.keeps("222222222222"));
        assert!(!sel.keeps("333333333333"));
    }
}

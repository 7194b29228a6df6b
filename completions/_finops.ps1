
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'finops' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'finops'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'finops' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma list)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)')
            [CompletionResult]::new('--ou', '--ou', [CompletionResultType]::ParameterName, 'With --org: only the accounts under this organizational unit, recursively (repeatable)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy requires (config [accounts] external_id)')
            [CompletionResult]::new('--accounts', '--accounts', [CompletionResultType]::ParameterName, 'Only these accounts (comma list); without --org, the role is assumed into each')
            [CompletionResult]::new('--exclude-accounts', '--exclude-accounts', [CompletionResultType]::ParameterName, 'Leave these accounts out (comma list)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once')
            [CompletionResult]::new('--all-regions', '--all-regions', [CompletionResultType]::ParameterName, 'Scan every region enabled for the account (DescribeRegions)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Discover and price EC2, EBS, RDS, load balancers and Auto Scaling groups')
            [CompletionResult]::new('recommend', 'recommend', [CompletionResultType]::ParameterValue, 'Find idle and overprovisioned resources and what acting on them saves')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Push inventory and recommendations to the FinOps backend, losing nothing')
            [CompletionResult]::new('resize', 'resize', [CompletionResultType]::ParameterValue, 'Apply a downsizing path (EC2 type, RDS class, EBS gp3) after approval')
            [CompletionResult]::new('spend', 'spend', [CompletionResultType]::ParameterValue, 'What the bill says: month to date, breakdown, projection, anomalies, budgets')
            [CompletionResult]::new('savings', 'savings', [CompletionResultType]::ParameterValue, 'List the savings recorded by applied resizes, with their total')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Scan and recommend on a schedule and report what changed (for systemd and cron)')
            [CompletionResult]::new('pricing', 'pricing', [CompletionResultType]::ParameterValue, 'Show the bundled price of an instance type, DB class or volume type')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the effective settings and where each comes from')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'finops;scan' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Read an inventory snapshot instead of calling AWS')
            [CompletionResult]::new('--save', '--save', [CompletionResultType]::ParameterName, 'Also write the inventory snapshot (JSON) to FILE')
            [CompletionResult]::new('--backend-url', '--backend-url', [CompletionResultType]::ParameterName, 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma list)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)')
            [CompletionResult]::new('--ou', '--ou', [CompletionResultType]::ParameterName, 'With --org: only the accounts under this organizational unit, recursively (repeatable)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy requires (config [accounts] external_id)')
            [CompletionResult]::new('--accounts', '--accounts', [CompletionResultType]::ParameterName, 'Only these accounts (comma list); without --org, the role is assumed into each')
            [CompletionResult]::new('--exclude-accounts', '--exclude-accounts', [CompletionResultType]::ParameterName, 'Leave these accounts out (comma list)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once')
            [CompletionResult]::new('--demo', '--demo', [CompletionResultType]::ParameterName, 'Scan a bundled sample fleet instead of AWS (no account or network needed)')
            [CompletionResult]::new('--sync', '--sync', [CompletionResultType]::ParameterName, 'Also push the results to the backend (as `finops sync`)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow the bearer token over plain HTTP to a non-loopback host')
            [CompletionResult]::new('--all-regions', '--all-regions', [CompletionResultType]::ParameterName, 'Scan every region enabled for the account (DescribeRegions)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'finops;recommend' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Analyse the resources of an inventory snapshot (metrics still come from CloudWatch)')
            [CompletionResult]::new('--lookback-days', '--lookback-days', [CompletionResultType]::ParameterName, 'Days of CloudWatch data to look at (1-455)')
            [CompletionResult]::new('--period', '--period', [CompletionResultType]::ParameterName, 'Metric period (e.g. 1h, 5m, 1d): a multiple of 60 s, at most 1 day')
            [CompletionResult]::new('--exclude-tag', '--exclude-tag', [CompletionResultType]::ParameterName, 'Skip resources with this tag (KEY=VALUE, or KEY for any value); repeatable')
            [CompletionResult]::new('--min-savings', '--min-savings', [CompletionResultType]::ParameterName, 'Hide findings that save less than USD a month')
            [CompletionResult]::new('--fail-on-savings', '--fail-on-savings', [CompletionResultType]::ParameterName, 'Exit 4 when the total monthly savings reach USD (for CI gates)')
            [CompletionResult]::new('--effective-rate', '--effective-rate', [CompletionResultType]::ParameterName, 'Also show EC2 compute savings at your effective rate: a rate (0.72 = 28 % under list) or auto (the bill''s EC2 compute month to date / its list price, from Cost Explorer: one request)')
            [CompletionResult]::new('--notify', '--notify', [CompletionResultType]::ParameterName, 'Also post a message to this webhook URL (Slack''s format for a Slack URL, finops'' JSON otherwise), besides [notify] in the config file; plain http only to this machine unless --allow-insecure-http')
            [CompletionResult]::new('--backend-url', '--backend-url', [CompletionResultType]::ParameterName, 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma list)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)')
            [CompletionResult]::new('--ou', '--ou', [CompletionResultType]::ParameterName, 'With --org: only the accounts under this organizational unit, recursively (repeatable)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy requires (config [accounts] external_id)')
            [CompletionResult]::new('--accounts', '--accounts', [CompletionResultType]::ParameterName, 'Only these accounts (comma list); without --org, the role is assumed into each')
            [CompletionResult]::new('--exclude-accounts', '--exclude-accounts', [CompletionResultType]::ParameterName, 'Leave these accounts out (comma list)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once')
            [CompletionResult]::new('--demo', '--demo', [CompletionResultType]::ParameterName, 'Analyse the bundled sample fleet and its utilization (no AWS needed)')
            [CompletionResult]::new('--sync', '--sync', [CompletionResultType]::ParameterName, 'Also push the results to the backend (as `finops sync`)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow the bearer token over plain HTTP to a non-loopback host')
            [CompletionResult]::new('--all-regions', '--all-regions', [CompletionResultType]::ParameterName, 'Scan every region enabled for the account (DescribeRegions)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'finops;sync' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Push a saved inventory snapshot instead of scanning AWS')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'With --requeue-dead: only this endpoint''s dead letters (e.g. /api/savings)')
            [CompletionResult]::new('--backend-url', '--backend-url', [CompletionResultType]::ParameterName, 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma list)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)')
            [CompletionResult]::new('--ou', '--ou', [CompletionResultType]::ParameterName, 'With --org: only the accounts under this organizational unit, recursively (repeatable)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy requires (config [accounts] external_id)')
            [CompletionResult]::new('--accounts', '--accounts', [CompletionResultType]::ParameterName, 'Only these accounts (comma list); without --org, the role is assumed into each')
            [CompletionResult]::new('--exclude-accounts', '--exclude-accounts', [CompletionResultType]::ParameterName, 'Leave these accounts out (comma list)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once')
            [CompletionResult]::new('--demo', '--demo', [CompletionResultType]::ParameterName, 'Push a bundled sample fleet instead of scanning AWS')
            [CompletionResult]::new('--with-recommendations', '--with-recommendations', [CompletionResultType]::ParameterName, 'Also compute and push recommendations (reads CloudWatch)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Build and validate every payload and show what would be sent; touch neither the backend nor the outbox')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Check the backend: GET /health, reachability and latency (exit 0/1)')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Show what is queued, delivered and dead-lettered, per endpoint')
            [CompletionResult]::new('--full', '--full', [CompletionResultType]::ParameterName, 'Send every record, even those unchanged since their last delivery')
            [CompletionResult]::new('--requeue-dead', '--requeue-dead', [CompletionResultType]::ParameterName, 'Queue the dead letters again (they go on the next sync); with --endpoint, only that endpoint''s')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow the bearer token over plain HTTP to a non-loopback host')
            [CompletionResult]::new('--all-regions', '--all-regions', [CompletionResultType]::ParameterName, 'Scan every region enabled for the account (DescribeRegions)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'finops;resize' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: instance type (m5.xlarge), DB class (db.r5.large) or volume type (gp3). Without it, pick one of the resource''s downsizing paths')
            [CompletionResult]::new('--from-recommendations', '--from-recommendations', [CompletionResultType]::ParameterName, 'Walk the in-place findings of a `recommend --output json` file')
            [CompletionResult]::new('--max-changes', '--max-changes', [CompletionResultType]::ParameterName, 'Apply at most N changes in this run')
            [CompletionResult]::new('--lookback-days', '--lookback-days', [CompletionResultType]::ParameterName, 'Days of CloudWatch data behind the downsizing paths (1-455)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'The account the resource is in (needed when the id is not unique across accounts); acted on through --role-name unless it is the credentials'' own')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma list)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)')
            [CompletionResult]::new('--ou', '--ou', [CompletionResultType]::ParameterName, 'With --org: only the accounts under this organizational unit, recursively (repeatable)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy requires (config [accounts] external_id)')
            [CompletionResult]::new('--accounts', '--accounts', [CompletionResultType]::ParameterName, 'Only these accounts (comma list); without --org, the role is assumed into each')
            [CompletionResult]::new('--exclude-accounts', '--exclude-accounts', [CompletionResultType]::ParameterName, 'Leave these accounts out (comma list)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Compute recommendations now and walk every in-place downsizing finding')
            [CompletionResult]::new('--recover', '--recover', [CompletionResultType]::ParameterName, 'Finish or roll back a resize that was interrupted (Ctrl-C, kill, crash)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Plan and ask AWS whether each step would be allowed; change nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Approve every change without asking (for scripts)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Approve every change without asking (for scripts)')
            [CompletionResult]::new('--apply-immediately', '--apply-immediately', [CompletionResultType]::ParameterName, 'RDS: apply the class change now (with downtime) instead of in the next maintenance window')
            [CompletionResult]::new('--allow-upsize', '--allow-upsize', [CompletionResultType]::ParameterName, 'Allow a target that costs more than the current type')
            [CompletionResult]::new('--all-regions', '--all-regions', [CompletionResultType]::ParameterName, 'Scan every region enabled for the account (DescribeRegions)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'finops;spend' {
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Break the costs down by service, account, region, usage-type or tag:KEY; give it twice for two levels (default service)')
            [CompletionResult]::new('--metric', '--metric', [CompletionResultType]::ParameterName, 'Which cost: amortized spreads Reserved Instance and Savings Plan fees over the days they cover')
            [CompletionResult]::new('--days', '--days', [CompletionResultType]::ParameterName, 'Days in the daily series (7-90)')
            [CompletionResult]::new('--as-of', '--as-of', [CompletionResultType]::ParameterName, 'Report as of this date (YYYY-MM-DD, UTC): the day before is the last one counted (default today)')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Entries of the breakdown before the rest is "other" (default: [spend] top, else 10)')
            [CompletionResult]::new('--fail-on-budget', '--fail-on-budget', [CompletionResultType]::ParameterName, 'Exit 4 when a budget''s actual spend reaches PCT % of its limit (CI and cron gates)')
            [CompletionResult]::new('--notify', '--notify', [CompletionResultType]::ParameterName, 'Also post a message to this webhook URL (Slack''s format for a Slack URL, finops'' JSON otherwise), besides [notify] in the config file; plain http only to this machine unless --allow-insecure-http')
            [CompletionResult]::new('--backend-url', '--backend-url', [CompletionResultType]::ParameterName, 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma list)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)')
            [CompletionResult]::new('--ou', '--ou', [CompletionResultType]::ParameterName, 'With --org: only the accounts under this organizational unit, recursively (repeatable)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy requires (config [accounts] external_id)')
            [CompletionResult]::new('--accounts', '--accounts', [CompletionResultType]::ParameterName, 'Only these accounts (comma list); without --org, the role is assumed into each')
            [CompletionResult]::new('--exclude-accounts', '--exclude-accounts', [CompletionResultType]::ParameterName, 'Leave these accounts out (comma list)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once')
            [CompletionResult]::new('--demo', '--demo', [CompletionResultType]::ParameterName, 'A bundled sample bill for the demo fleet (no AWS account needed)')
            [CompletionResult]::new('--forecast', '--forecast', [CompletionResultType]::ParameterName, 'With --fail-on-budget: compare each budget''s forecast instead of its actual spend')
            [CompletionResult]::new('--no-budgets', '--no-budgets', [CompletionResultType]::ParameterName, 'Leave out the budgets (DescribeBudgets)')
            [CompletionResult]::new('--no-inventory', '--no-inventory', [CompletionResultType]::ParameterName, 'Leave out list vs actual (it scans the inventory to price it)')
            [CompletionResult]::new('--sync', '--sync', [CompletionResultType]::ParameterName, 'Also push the results to the backend (as `finops sync`)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow the bearer token over plain HTTP to a non-loopback host')
            [CompletionResult]::new('--all-regions', '--all-regions', [CompletionResultType]::ParameterName, 'Scan every region enabled for the account (DescribeRegions)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'finops;savings' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma list)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)')
            [CompletionResult]::new('--ou', '--ou', [CompletionResultType]::ParameterName, 'With --org: only the accounts under this organizational unit, recursively (repeatable)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy requires (config [accounts] external_id)')
            [CompletionResult]::new('--accounts', '--accounts', [CompletionResultType]::ParameterName, 'Only these accounts (comma list); without --org, the role is assumed into each')
            [CompletionResult]::new('--exclude-accounts', '--exclude-accounts', [CompletionResultType]::ParameterName, 'Leave these accounts out (comma list)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once')
            [CompletionResult]::new('--all-regions', '--all-regions', [CompletionResultType]::ParameterName, 'Scan every region enabled for the account (DescribeRegions)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'finops;watch' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between cycles: 30s, 15m, 6h, 1d (at least 10s; default: the config file''s [watch] interval, else 1h)')
            [CompletionResult]::new('--max-cycles', '--max-cycles', [CompletionResultType]::ParameterName, 'Stop after N cycles')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'Write Prometheus metrics to FILE each cycle (node_exporter textfile collector)')
            [CompletionResult]::new('--max-consecutive-failures', '--max-consecutive-failures', [CompletionResultType]::ParameterName, 'Exit 1 after N failed cycles in a row (default: keep retrying)')
            [CompletionResult]::new('--notify', '--notify', [CompletionResultType]::ParameterName, 'Post a digest of the cycles'' news to this webhook URL (Slack''s format for a Slack URL, finops'' JSON otherwise), besides [notify] in the config file; plain http only to this machine unless --allow-insecure-http')
            [CompletionResult]::new('--lookback-days', '--lookback-days', [CompletionResultType]::ParameterName, 'Days of CloudWatch data to look at (1-455)')
            [CompletionResult]::new('--period', '--period', [CompletionResultType]::ParameterName, 'Metric period (e.g. 1h, 5m, 1d): a multiple of 60 s, at most 1 day')
            [CompletionResult]::new('--exclude-tag', '--exclude-tag', [CompletionResultType]::ParameterName, 'Skip resources with this tag (KEY=VALUE, or KEY for any value); repeatable')
            [CompletionResult]::new('--min-savings', '--min-savings', [CompletionResultType]::ParameterName, 'Ignore findings that save less than USD a month')
            [CompletionResult]::new('--backend-url', '--backend-url', [CompletionResultType]::ParameterName, 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma list)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)')
            [CompletionResult]::new('--ou', '--ou', [CompletionResultType]::ParameterName, 'With --org: only the accounts under this organizational unit, recursively (repeatable)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy requires (config [accounts] external_id)')
            [CompletionResult]::new('--accounts', '--accounts', [CompletionResultType]::ParameterName, 'Only these accounts (comma list); without --org, the role is assumed into each')
            [CompletionResult]::new('--exclude-accounts', '--exclude-accounts', [CompletionResultType]::ParameterName, 'Leave these accounts out (comma list)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Run one cycle and exit (for cron and systemd timers)')
            [CompletionResult]::new('--demo', '--demo', [CompletionResultType]::ParameterName, 'Watch the bundled sample fleet instead of AWS (to try it out)')
            [CompletionResult]::new('--spend', '--spend', [CompletionResultType]::ParameterName, 'Also report spend anomalies from the bill (Cost Explorer, read at most every [spend] refresh_interval, 6h by default)')
            [CompletionResult]::new('--sync', '--sync', [CompletionResultType]::ParameterName, 'Also push the results to the backend (as `finops sync`)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow the bearer token over plain HTTP to a non-loopback host')
            [CompletionResult]::new('--all-regions', '--all-regions', [CompletionResultType]::ParameterName, 'Scan every region enabled for the account (DescribeRegions)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'finops;pricing' {
            [CompletionResult]::new('--engine', '--engine', [CompletionResultType]::ParameterName, 'For DB classes: only this engine (mysql, postgres, mariadb)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma list)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)')
            [CompletionResult]::new('--ou', '--ou', [CompletionResultType]::ParameterName, 'With --org: only the accounts under this organizational unit, recursively (repeatable)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy requires (config [accounts] external_id)')
            [CompletionResult]::new('--accounts', '--accounts', [CompletionResultType]::ParameterName, 'Only these accounts (comma list); without --org, the role is assumed into each')
            [CompletionResult]::new('--exclude-accounts', '--exclude-accounts', [CompletionResultType]::ParameterName, 'Leave these accounts out (comma list)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once')
            [CompletionResult]::new('--multi-az', '--multi-az', [CompletionResultType]::ParameterName, 'For DB classes: only the Multi-AZ price')
            [CompletionResult]::new('--all-regions', '--all-regions', [CompletionResultType]::ParameterName, 'Scan every region enabled for the account (DescribeRegions)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'finops;config' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma list)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)')
            [CompletionResult]::new('--ou', '--ou', [CompletionResultType]::ParameterName, 'With --org: only the accounts under this organizational unit, recursively (repeatable)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy requires (config [accounts] external_id)')
            [CompletionResult]::new('--accounts', '--accounts', [CompletionResultType]::ParameterName, 'Only these accounts (comma list); without --org, the role is assumed into each')
            [CompletionResult]::new('--exclude-accounts', '--exclude-accounts', [CompletionResultType]::ParameterName, 'Leave these accounts out (comma list)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once')
            [CompletionResult]::new('--all-regions', '--all-regions', [CompletionResultType]::ParameterName, 'Scan every region enabled for the account (DescribeRegions)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'finops;completions' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Only these services (comma list)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)')
            [CompletionResult]::new('--ou', '--ou', [CompletionResultType]::ParameterName, 'With --org: only the accounts under this organizational unit, recursively (repeatable)')
            [CompletionResult]::new('--role-name', '--role-name', [CompletionResultType]::ParameterName, 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy requires (config [accounts] external_id)')
            [CompletionResult]::new('--accounts', '--accounts', [CompletionResultType]::ParameterName, 'Only these accounts (comma list); without --org, the role is assumed into each')
            [CompletionResult]::new('--exclude-accounts', '--exclude-accounts', [CompletionResultType]::ParameterName, 'Leave these accounts out (comma list)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once')
            [CompletionResult]::new('--all-regions', '--all-regions', [CompletionResultType]::ParameterName, 'Scan every region enabled for the account (DescribeRegions)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v adds API call counts and timings, -vv debug logs')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'finops;help' {
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Discover and price EC2, EBS, RDS, load balancers and Auto Scaling groups')
            [CompletionResult]::new('recommend', 'recommend', [CompletionResultType]::ParameterValue, 'Find idle and overprovisioned resources and what acting on them saves')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Push inventory and recommendations to the FinOps backend, losing nothing')
            [CompletionResult]::new('resize', 'resize', [CompletionResultType]::ParameterValue, 'Apply a downsizing path (EC2 type, RDS class, EBS gp3) after approval')
            [CompletionResult]::new('spend', 'spend', [CompletionResultType]::ParameterValue, 'What the bill says: month to date, breakdown, projection, anomalies, budgets')
            [CompletionResult]::new('savings', 'savings', [CompletionResultType]::ParameterValue, 'List the savings recorded by applied resizes, with their total')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Scan and recommend on a schedule and report what changed (for systemd and cron)')
            [CompletionResult]::new('pricing', 'pricing', [CompletionResultType]::ParameterValue, 'Show the bundled price of an instance type, DB class or volume type')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the effective settings and where each comes from')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'finops;help;scan' {
            break
        }
        'finops;help;recommend' {
            break
        }
        'finops;help;sync' {
            break
        }
        'finops;help;resize' {
            break
        }
        'finops;help;spend' {
            break
        }
        'finops;help;savings' {
            break
        }
        'finops;help;watch' {
            break
        }
        'finops;help;pricing' {
            break
        }
        'finops;help;config' {
            break
        }
        'finops;help;completions' {
            break
        }
        'finops;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

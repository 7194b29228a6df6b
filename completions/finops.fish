# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_finops_global_optspecs
    string join \n profile= region= all-regions endpoint-url= o/output= no-progress wide q/quiet v/verbose services= config= org ou= role-name= external-id= accounts= exclude-accounts= shard= h/help V/version
end

function __fish_finops_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_finops_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_finops_using_subcommand
    set -l cmd (__fish_finops_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c finops -n "__fish_finops_needs_command" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_needs_command" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_needs_command" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_needs_command" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_needs_command" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_needs_command" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_needs_command" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_needs_command" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_needs_command" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_needs_command" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_needs_command" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_needs_command" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_needs_command" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_needs_command" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_needs_command" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_needs_command" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_needs_command" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_needs_command" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c finops -n "__fish_finops_needs_command" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_needs_command" -f -a "scan" -d 'Discover and price EC2, EBS, RDS, load balancers and Auto Scaling groups'
complete -c finops -n "__fish_finops_needs_command" -f -a "recommend" -d 'Find idle and overprovisioned resources and what acting on them saves'
complete -c finops -n "__fish_finops_needs_command" -f -a "sync" -d 'Push inventory and recommendations to the FinOps backend, losing nothing'
complete -c finops -n "__fish_finops_needs_command" -f -a "resize" -d 'Apply a downsizing path (EC2 type, RDS class, EBS gp3) after approval'
complete -c finops -n "__fish_finops_needs_command" -f -a "spend" -d 'What the bill says: month to date, breakdown, projection, anomalies, budgets'
complete -c finops -n "__fish_finops_needs_command" -f -a "report" -d 'Write an HTML or Markdown report: costs, charts, findings (for people and CI)'
complete -c finops -n "__fish_finops_needs_command" -f -a "savings" -d 'List the savings recorded by applied resizes, with their total'
complete -c finops -n "__fish_finops_needs_command" -f -a "watch" -d 'Scan and recommend on a schedule and report what changed (for systemd and cron)'
complete -c finops -n "__fish_finops_needs_command" -f -a "pricing" -d 'Show the bundled price of an instance type, DB class or volume type'
complete -c finops -n "__fish_finops_needs_command" -f -a "config" -d 'Print the effective settings and where each comes from'
complete -c finops -n "__fish_finops_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c finops -n "__fish_finops_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c finops -n "__fish_finops_using_subcommand scan" -l from -d 'Read an inventory snapshot instead of calling AWS' -r -F
complete -c finops -n "__fish_finops_using_subcommand scan" -l save -d 'Also write the inventory snapshot (JSON) to FILE' -r -F
complete -c finops -n "__fish_finops_using_subcommand scan" -l backend-url -d 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)' -r
complete -c finops -n "__fish_finops_using_subcommand scan" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_using_subcommand scan" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_using_subcommand scan" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_using_subcommand scan" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_using_subcommand scan" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_using_subcommand scan" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_using_subcommand scan" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_using_subcommand scan" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_using_subcommand scan" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_using_subcommand scan" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_using_subcommand scan" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_using_subcommand scan" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_using_subcommand scan" -l demo -d 'Scan a bundled sample fleet instead of AWS (no account or network needed)'
complete -c finops -n "__fish_finops_using_subcommand scan" -l sync -d 'Also push the results to the backend (as `finops sync`)'
complete -c finops -n "__fish_finops_using_subcommand scan" -l allow-insecure-http -d 'Allow the bearer token over plain HTTP to a non-loopback host'
complete -c finops -n "__fish_finops_using_subcommand scan" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_using_subcommand scan" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_using_subcommand scan" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_using_subcommand scan" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_using_subcommand scan" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_using_subcommand scan" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_using_subcommand scan" -s h -l help -d 'Print help'
complete -c finops -n "__fish_finops_using_subcommand scan" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_using_subcommand recommend" -l from -d 'Analyse the resources of an inventory snapshot (metrics still come from CloudWatch)' -r -F
complete -c finops -n "__fish_finops_using_subcommand recommend" -l lookback-days -d 'Days of CloudWatch data to look at (1-455)' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l period -d 'Metric period (e.g. 1h, 5m, 1d): a multiple of 60 s, at most 1 day' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l exclude-tag -d 'Skip resources with this tag (KEY=VALUE, or KEY for any value); repeatable' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l min-savings -d 'Hide findings that save less than USD a month' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l fail-on-savings -d 'Exit 4 when the total monthly savings reach USD (for CI gates)' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l effective-rate -d 'Also show EC2 compute savings at your effective rate: a rate (0.72 = 28 % under list) or auto (the bill\'s EC2 compute month to date / its list price, from Cost Explorer: one request)' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l notify -d 'Also post a message to this webhook URL (Slack\'s format for a Slack URL, finops\' JSON otherwise), besides [notify] in the config file; plain http only to this machine unless --allow-insecure-http' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l backend-url -d 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_using_subcommand recommend" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_using_subcommand recommend" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_using_subcommand recommend" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_using_subcommand recommend" -l demo -d 'Analyse the bundled sample fleet and its utilization (no AWS needed)'
complete -c finops -n "__fish_finops_using_subcommand recommend" -l sync -d 'Also push the results to the backend (as `finops sync`)'
complete -c finops -n "__fish_finops_using_subcommand recommend" -l allow-insecure-http -d 'Allow the bearer token over plain HTTP to a non-loopback host'
complete -c finops -n "__fish_finops_using_subcommand recommend" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_using_subcommand recommend" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_using_subcommand recommend" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_using_subcommand recommend" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_using_subcommand recommend" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_using_subcommand recommend" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_using_subcommand recommend" -s h -l help -d 'Print help'
complete -c finops -n "__fish_finops_using_subcommand recommend" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_using_subcommand sync" -l from -d 'Push a saved inventory snapshot instead of scanning AWS' -r -F
complete -c finops -n "__fish_finops_using_subcommand sync" -l endpoint -d 'With --requeue-dead: only this endpoint\'s dead letters (e.g. /api/savings)' -r
complete -c finops -n "__fish_finops_using_subcommand sync" -l backend-url -d 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)' -r
complete -c finops -n "__fish_finops_using_subcommand sync" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_using_subcommand sync" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_using_subcommand sync" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_using_subcommand sync" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_using_subcommand sync" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_using_subcommand sync" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_using_subcommand sync" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_using_subcommand sync" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_using_subcommand sync" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_using_subcommand sync" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_using_subcommand sync" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_using_subcommand sync" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_using_subcommand sync" -l demo -d 'Push a bundled sample fleet instead of scanning AWS'
complete -c finops -n "__fish_finops_using_subcommand sync" -l with-recommendations -d 'Also compute and push recommendations (reads CloudWatch)'
complete -c finops -n "__fish_finops_using_subcommand sync" -l dry-run -d 'Build and validate every payload and show what would be sent; touch neither the backend nor the outbox'
complete -c finops -n "__fish_finops_using_subcommand sync" -l check -d 'Check the backend: GET /health, reachability and latency (exit 0/1)'
complete -c finops -n "__fish_finops_using_subcommand sync" -l status -d 'Show what is queued, delivered and dead-lettered, per endpoint'
complete -c finops -n "__fish_finops_using_subcommand sync" -l full -d 'Send every record, even those unchanged since their last delivery'
complete -c finops -n "__fish_finops_using_subcommand sync" -l requeue-dead -d 'Queue the dead letters again (they go on the next sync); with --endpoint, only that endpoint\'s'
complete -c finops -n "__fish_finops_using_subcommand sync" -l allow-insecure-http -d 'Allow the bearer token over plain HTTP to a non-loopback host'
complete -c finops -n "__fish_finops_using_subcommand sync" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_using_subcommand sync" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_using_subcommand sync" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_using_subcommand sync" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_using_subcommand sync" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_using_subcommand sync" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_using_subcommand sync" -s h -l help -d 'Print help'
complete -c finops -n "__fish_finops_using_subcommand sync" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_using_subcommand resize" -l to -d 'Target: instance type (m5.xlarge), DB class (db.r5.large) or volume type (gp3). Without it, pick one of the resource\'s downsizing paths' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l from-recommendations -d 'Walk the in-place findings of a `recommend --output json` file' -r -F
complete -c finops -n "__fish_finops_using_subcommand resize" -l max-changes -d 'Apply at most N changes in this run' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l lookback-days -d 'Days of CloudWatch data behind the downsizing paths (1-455)' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l account -d 'The account the resource is in (needed when the id is not unique across accounts); acted on through --role-name unless it is the credentials\' own' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_using_subcommand resize" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_using_subcommand resize" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_using_subcommand resize" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_using_subcommand resize" -l all -d 'Compute recommendations now and walk every in-place downsizing finding'
complete -c finops -n "__fish_finops_using_subcommand resize" -l recover -d 'Finish or roll back a resize that was interrupted (Ctrl-C, kill, crash)'
complete -c finops -n "__fish_finops_using_subcommand resize" -l dry-run -d 'Plan and ask AWS whether each step would be allowed; change nothing'
complete -c finops -n "__fish_finops_using_subcommand resize" -s y -l yes -d 'Approve every change without asking (for scripts)'
complete -c finops -n "__fish_finops_using_subcommand resize" -l apply-immediately -d 'RDS: apply the class change now (with downtime) instead of in the next maintenance window'
complete -c finops -n "__fish_finops_using_subcommand resize" -l allow-upsize -d 'Allow a target that costs more than the current type'
complete -c finops -n "__fish_finops_using_subcommand resize" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_using_subcommand resize" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_using_subcommand resize" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_using_subcommand resize" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_using_subcommand resize" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_using_subcommand resize" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_using_subcommand resize" -s h -l help -d 'Print help'
complete -c finops -n "__fish_finops_using_subcommand resize" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_using_subcommand spend" -l by -d 'Break the costs down by service, account, region, usage-type or tag:KEY; give it twice for two levels (default service)' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l metric -d 'Which cost: amortized spreads Reserved Instance and Savings Plan fees over the days they cover' -r -f -a "unblended\t''
amortized\t'Reserved Instances and Savings Plans spread over the days they cover'
net-amortized\t''
net-unblended\t''
blended\t''"
complete -c finops -n "__fish_finops_using_subcommand spend" -l days -d 'Days in the daily series (7-90)' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l as-of -d 'Report as of this date (YYYY-MM-DD, UTC): the day before is the last one counted (default today)' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l top -d 'Entries of the breakdown before the rest is "other" (default: [spend] top, else 10)' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l fail-on-budget -d 'Exit 4 when a budget\'s actual spend reaches PCT % of its limit (CI and cron gates)' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l notify -d 'Also post a message to this webhook URL (Slack\'s format for a Slack URL, finops\' JSON otherwise), besides [notify] in the config file; plain http only to this machine unless --allow-insecure-http' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l backend-url -d 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_using_subcommand spend" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_using_subcommand spend" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_using_subcommand spend" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_using_subcommand spend" -l demo -d 'A bundled sample bill for the demo fleet (no AWS account needed)'
complete -c finops -n "__fish_finops_using_subcommand spend" -l forecast -d 'With --fail-on-budget: compare each budget\'s forecast instead of its actual spend'
complete -c finops -n "__fish_finops_using_subcommand spend" -l no-budgets -d 'Leave out the budgets (DescribeBudgets)'
complete -c finops -n "__fish_finops_using_subcommand spend" -l no-inventory -d 'Leave out list vs actual (it scans the inventory to price it)'
complete -c finops -n "__fish_finops_using_subcommand spend" -l sync -d 'Also push the results to the backend (as `finops sync`)'
complete -c finops -n "__fish_finops_using_subcommand spend" -l allow-insecure-http -d 'Allow the bearer token over plain HTTP to a non-loopback host'
complete -c finops -n "__fish_finops_using_subcommand spend" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_using_subcommand spend" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_using_subcommand spend" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_using_subcommand spend" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_using_subcommand spend" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_using_subcommand spend" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_using_subcommand spend" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c finops -n "__fish_finops_using_subcommand spend" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_using_subcommand report" -l out -d 'Write the report to FILE (.html or .md; - for standard output)' -r -F
complete -c finops -n "__fish_finops_using_subcommand report" -l format -d 'The file\'s format (default: from its extension)' -r -f -a "html\t''
markdown\t''"
complete -c finops -n "__fish_finops_using_subcommand report" -l from -d 'Report on a saved inventory snapshot (utilization still comes from CloudWatch)' -r -F
complete -c finops -n "__fish_finops_using_subcommand report" -l top -d 'Findings in the top list (the HTML has every finding too)' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l lookback-days -d 'Days of CloudWatch data to look at (1-455)' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l period -d 'Metric period (e.g. 1h, 5m, 1d): a multiple of 60 s, at most 1 day' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l exclude-tag -d 'Skip resources with this tag (KEY=VALUE, or KEY for any value); repeatable' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l min-savings -d 'Hide findings that save less than USD a month' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_using_subcommand report" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_using_subcommand report" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_using_subcommand report" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_using_subcommand report" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_using_subcommand report" -l demo -d 'Report on the bundled sample fleet and its made-up bill (no AWS needed)'
complete -c finops -n "__fish_finops_using_subcommand report" -l spend -d 'Also read the bill (Cost Explorer, as `finops spend`: about two requests at $0.01)'
complete -c finops -n "__fish_finops_using_subcommand report" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_using_subcommand report" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_using_subcommand report" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_using_subcommand report" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_using_subcommand report" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_using_subcommand report" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_using_subcommand report" -s h -l help -d 'Print help'
complete -c finops -n "__fish_finops_using_subcommand report" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_using_subcommand savings" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_using_subcommand savings" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_using_subcommand savings" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_using_subcommand savings" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_using_subcommand savings" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_using_subcommand savings" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_using_subcommand savings" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_using_subcommand savings" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_using_subcommand savings" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_using_subcommand savings" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_using_subcommand savings" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_using_subcommand savings" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_using_subcommand savings" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_using_subcommand savings" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_using_subcommand savings" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_using_subcommand savings" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_using_subcommand savings" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_using_subcommand savings" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_using_subcommand savings" -s h -l help -d 'Print help'
complete -c finops -n "__fish_finops_using_subcommand savings" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_using_subcommand watch" -l interval -d 'Time between cycles: 30s, 15m, 6h, 1d (at least 10s; default: the config file\'s [watch] interval, else 1h)' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l max-cycles -d 'Stop after N cycles' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l metrics-file -d 'Write Prometheus metrics to FILE each cycle (node_exporter textfile collector)' -r -F
complete -c finops -n "__fish_finops_using_subcommand watch" -l max-consecutive-failures -d 'Exit 1 after N failed cycles in a row (default: keep retrying)' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l notify -d 'Post a digest of the cycles\' news to this webhook URL (Slack\'s format for a Slack URL, finops\' JSON otherwise), besides [notify] in the config file; plain http only to this machine unless --allow-insecure-http' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l lookback-days -d 'Days of CloudWatch data to look at (1-455)' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l period -d 'Metric period (e.g. 1h, 5m, 1d): a multiple of 60 s, at most 1 day' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l exclude-tag -d 'Skip resources with this tag (KEY=VALUE, or KEY for any value); repeatable' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l min-savings -d 'Ignore findings that save less than USD a month' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l backend-url -d 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_using_subcommand watch" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_using_subcommand watch" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_using_subcommand watch" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_using_subcommand watch" -l once -d 'Run one cycle and exit (for cron and systemd timers)'
complete -c finops -n "__fish_finops_using_subcommand watch" -l demo -d 'Watch the bundled sample fleet instead of AWS (to try it out)'
complete -c finops -n "__fish_finops_using_subcommand watch" -l spend -d 'Also report spend anomalies from the bill (Cost Explorer, read at most every [spend] refresh_interval, 6h by default)'
complete -c finops -n "__fish_finops_using_subcommand watch" -l sync -d 'Also push the results to the backend (as `finops sync`)'
complete -c finops -n "__fish_finops_using_subcommand watch" -l allow-insecure-http -d 'Allow the bearer token over plain HTTP to a non-loopback host'
complete -c finops -n "__fish_finops_using_subcommand watch" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_using_subcommand watch" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_using_subcommand watch" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_using_subcommand watch" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_using_subcommand watch" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_using_subcommand watch" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_using_subcommand watch" -s h -l help -d 'Print help'
complete -c finops -n "__fish_finops_using_subcommand watch" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_using_subcommand pricing" -l engine -d 'For DB classes: only this engine (mysql, postgres, mariadb)' -r
complete -c finops -n "__fish_finops_using_subcommand pricing" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_using_subcommand pricing" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_using_subcommand pricing" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_using_subcommand pricing" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_using_subcommand pricing" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_using_subcommand pricing" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_using_subcommand pricing" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_using_subcommand pricing" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_using_subcommand pricing" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_using_subcommand pricing" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_using_subcommand pricing" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_using_subcommand pricing" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_using_subcommand pricing" -l multi-az -d 'For DB classes: only the Multi-AZ price'
complete -c finops -n "__fish_finops_using_subcommand pricing" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_using_subcommand pricing" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_using_subcommand pricing" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_using_subcommand pricing" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_using_subcommand pricing" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_using_subcommand pricing" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_using_subcommand pricing" -s h -l help -d 'Print help'
complete -c finops -n "__fish_finops_using_subcommand pricing" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_using_subcommand config" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_using_subcommand config" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_using_subcommand config" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_using_subcommand config" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_using_subcommand config" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_using_subcommand config" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_using_subcommand config" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_using_subcommand config" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_using_subcommand config" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_using_subcommand config" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_using_subcommand config" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_using_subcommand config" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_using_subcommand config" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_using_subcommand config" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_using_subcommand config" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_using_subcommand config" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_using_subcommand config" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_using_subcommand config" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_using_subcommand config" -s h -l help -d 'Print help'
complete -c finops -n "__fish_finops_using_subcommand config" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_using_subcommand completions" -l profile -d 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile); repeat or give a comma list to scan several accounts in one run' -r
complete -c finops -n "__fish_finops_using_subcommand completions" -l region -d 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)' -r
complete -c finops -n "__fish_finops_using_subcommand completions" -l endpoint-url -d 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL' -r
complete -c finops -n "__fish_finops_using_subcommand completions" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c finops -n "__fish_finops_using_subcommand completions" -l services -d 'Only these services (comma list)' -r -f -a "ec2\t''
ebs\t''
rds\t''
elb\t''
asg\t''
nat\t''
snapshot\t''"
complete -c finops -n "__fish_finops_using_subcommand completions" -l config -d 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)' -r -F
complete -c finops -n "__fish_finops_using_subcommand completions" -l ou -d 'With --org: only the accounts under this organizational unit, recursively (repeatable)' -r
complete -c finops -n "__fish_finops_using_subcommand completions" -l role-name -d 'Role assumed in each member account (default OrganizationAccountAccessRole; config [accounts] role_name)' -r
complete -c finops -n "__fish_finops_using_subcommand completions" -l external-id -d 'External id the role\'s trust policy requires (config [accounts] external_id)' -r
complete -c finops -n "__fish_finops_using_subcommand completions" -l accounts -d 'Only these accounts (comma list); without --org, the role is assumed into each' -r
complete -c finops -n "__fish_finops_using_subcommand completions" -l exclude-accounts -d 'Leave these accounts out (comma list)' -r
complete -c finops -n "__fish_finops_using_subcommand completions" -l shard -d 'Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover every account exactly once' -r
complete -c finops -n "__fish_finops_using_subcommand completions" -l all-regions -d 'Scan every region enabled for the account (DescribeRegions)'
complete -c finops -n "__fish_finops_using_subcommand completions" -l no-progress -d 'Never show progress bars'
complete -c finops -n "__fish_finops_using_subcommand completions" -l wide -d 'Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE'
complete -c finops -n "__fish_finops_using_subcommand completions" -s q -l quiet -d 'Print only the results and errors'
complete -c finops -n "__fish_finops_using_subcommand completions" -s v -l verbose -d 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
complete -c finops -n "__fish_finops_using_subcommand completions" -l org -d 'Every active account of the AWS Organization (credentials of the management account or a delegated administrator); members through --role-name'
complete -c finops -n "__fish_finops_using_subcommand completions" -s h -l help -d 'Print help'
complete -c finops -n "__fish_finops_using_subcommand completions" -s V -l version -d 'Print version'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "scan" -d 'Discover and price EC2, EBS, RDS, load balancers and Auto Scaling groups'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "recommend" -d 'Find idle and overprovisioned resources and what acting on them saves'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "sync" -d 'Push inventory and recommendations to the FinOps backend, losing nothing'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "resize" -d 'Apply a downsizing path (EC2 type, RDS class, EBS gp3) after approval'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "spend" -d 'What the bill says: month to date, breakdown, projection, anomalies, budgets'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "report" -d 'Write an HTML or Markdown report: costs, charts, findings (for people and CI)'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "savings" -d 'List the savings recorded by applied resizes, with their total'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "watch" -d 'Scan and recommend on a schedule and report what changed (for systemd and cron)'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "pricing" -d 'Show the bundled price of an instance type, DB class or volume type'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "config" -d 'Print the effective settings and where each comes from'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "completions" -d 'Print shell completions'
complete -c finops -n "__fish_finops_using_subcommand help; and not __fish_seen_subcommand_from scan recommend sync resize spend report savings watch pricing config completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

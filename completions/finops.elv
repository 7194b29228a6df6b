
use builtin;
use str;

set edit:completion:arg-completer[finops] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'finops'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'finops'= {
            cand --profile 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile)'
            cand --region 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)'
            cand --endpoint-url 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --services 'Only these services (comma list)'
            cand --config 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)'
            cand --all-regions 'Scan every region enabled for the account (DescribeRegions)'
            cand --no-progress 'Never show progress bars'
            cand -q 'Print only the results and errors'
            cand --quiet 'Print only the results and errors'
            cand -v 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand --verbose 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand scan 'Discover and price EC2, EBS, RDS, load balancers and Auto Scaling groups'
            cand recommend 'Find idle and overprovisioned resources and what acting on them saves'
            cand sync 'Push inventory and recommendations to the FinOps backend, losing nothing'
            cand resize 'Apply a downsizing path (EC2 type, RDS class, EBS gp3) after approval'
            cand savings 'List the savings recorded by applied resizes, with their total'
            cand watch 'Scan and recommend on a schedule and report what changed (for systemd and cron)'
            cand pricing 'Show the bundled price of an instance type, DB class or volume type'
            cand config 'Print the effective settings and where each comes from'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'finops;scan'= {
            cand --from 'Read an inventory snapshot instead of calling AWS'
            cand --save 'Also write the inventory snapshot (JSON) to FILE'
            cand --backend-url 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)'
            cand --profile 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile)'
            cand --region 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)'
            cand --endpoint-url 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --services 'Only these services (comma list)'
            cand --config 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)'
            cand --demo 'Scan a bundled sample fleet instead of AWS (no account or network needed)'
            cand --sync 'Also push the results to the backend (as `finops sync`)'
            cand --allow-insecure-http 'Allow the bearer token over plain HTTP to a non-loopback host'
            cand --all-regions 'Scan every region enabled for the account (DescribeRegions)'
            cand --no-progress 'Never show progress bars'
            cand -q 'Print only the results and errors'
            cand --quiet 'Print only the results and errors'
            cand -v 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand --verbose 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'finops;recommend'= {
            cand --from 'Analyse the resources of an inventory snapshot (metrics still come from CloudWatch)'
            cand --lookback-days 'Days of CloudWatch data to look at (1-455)'
            cand --period 'Metric period (e.g. 1h, 5m, 1d): a multiple of 60 s, at most 1 day'
            cand --exclude-tag 'Skip resources with this tag (KEY=VALUE, or KEY for any value); repeatable'
            cand --min-savings 'Hide findings that save less than USD a month'
            cand --fail-on-savings 'Exit 4 when the total monthly savings reach USD (for CI gates)'
            cand --backend-url 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)'
            cand --profile 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile)'
            cand --region 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)'
            cand --endpoint-url 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --services 'Only these services (comma list)'
            cand --config 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)'
            cand --demo 'Analyse the bundled sample fleet and its utilization (no AWS needed)'
            cand --sync 'Also push the results to the backend (as `finops sync`)'
            cand --allow-insecure-http 'Allow the bearer token over plain HTTP to a non-loopback host'
            cand --all-regions 'Scan every region enabled for the account (DescribeRegions)'
            cand --no-progress 'Never show progress bars'
            cand -q 'Print only the results and errors'
            cand --quiet 'Print only the results and errors'
            cand -v 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand --verbose 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'finops;sync'= {
            cand --from 'Push a saved inventory snapshot instead of scanning AWS'
            cand --backend-url 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)'
            cand --profile 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile)'
            cand --region 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)'
            cand --endpoint-url 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --services 'Only these services (comma list)'
            cand --config 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)'
            cand --demo 'Push a bundled sample fleet instead of scanning AWS'
            cand --with-recommendations 'Also compute and push recommendations (reads CloudWatch)'
            cand --dry-run 'Build and validate every payload and show what would be sent; touch neither the backend nor the outbox'
            cand --check 'Check the backend: GET /health, reachability and latency (exit 0/1)'
            cand --status 'Show what is queued, delivered and dead-lettered, per endpoint'
            cand --full 'Send every record, even those unchanged since their last delivery'
            cand --allow-insecure-http 'Allow the bearer token over plain HTTP to a non-loopback host'
            cand --all-regions 'Scan every region enabled for the account (DescribeRegions)'
            cand --no-progress 'Never show progress bars'
            cand -q 'Print only the results and errors'
            cand --quiet 'Print only the results and errors'
            cand -v 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand --verbose 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'finops;resize'= {
            cand --to 'Target: instance type (m5.xlarge), DB class (db.r5.large) or volume type (gp3). Without it, pick one of the resource''s downsizing paths'
            cand --from-recommendations 'Walk the in-place findings of a `recommend --output json` file'
            cand --max-changes 'Apply at most N changes in this run'
            cand --lookback-days 'Days of CloudWatch data behind the downsizing paths (1-455)'
            cand --profile 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile)'
            cand --region 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)'
            cand --endpoint-url 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --services 'Only these services (comma list)'
            cand --config 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)'
            cand --all 'Compute recommendations now and walk every in-place downsizing finding'
            cand --recover 'Finish or roll back a resize that was interrupted (Ctrl-C, kill, crash)'
            cand --dry-run 'Plan and ask AWS whether each step would be allowed; change nothing'
            cand -y 'Approve every change without asking (for scripts)'
            cand --yes 'Approve every change without asking (for scripts)'
            cand --apply-immediately 'RDS: apply the class change now (with downtime) instead of in the next maintenance window'
            cand --allow-upsize 'Allow a target that costs more than the current type'
            cand --all-regions 'Scan every region enabled for the account (DescribeRegions)'
            cand --no-progress 'Never show progress bars'
            cand -q 'Print only the results and errors'
            cand --quiet 'Print only the results and errors'
            cand -v 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand --verbose 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'finops;savings'= {
            cand --profile 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile)'
            cand --region 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)'
            cand --endpoint-url 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --services 'Only these services (comma list)'
            cand --config 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)'
            cand --all-regions 'Scan every region enabled for the account (DescribeRegions)'
            cand --no-progress 'Never show progress bars'
            cand -q 'Print only the results and errors'
            cand --quiet 'Print only the results and errors'
            cand -v 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand --verbose 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'finops;watch'= {
            cand --interval 'Time between cycles: 30s, 15m, 6h, 1d (at least 10s; default: the config file''s [watch] interval, else 1h)'
            cand --max-cycles 'Stop after N cycles'
            cand --metrics-file 'Write Prometheus metrics to FILE each cycle (node_exporter textfile collector)'
            cand --max-consecutive-failures 'Exit 1 after N failed cycles in a row (default: keep retrying)'
            cand --lookback-days 'Days of CloudWatch data to look at (1-455)'
            cand --period 'Metric period (e.g. 1h, 5m, 1d): a multiple of 60 s, at most 1 day'
            cand --exclude-tag 'Skip resources with this tag (KEY=VALUE, or KEY for any value); repeatable'
            cand --min-savings 'Ignore findings that save less than USD a month'
            cand --backend-url 'Backend base URL (else FINOPS_BACKEND_URL, else the config file)'
            cand --profile 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile)'
            cand --region 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)'
            cand --endpoint-url 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --services 'Only these services (comma list)'
            cand --config 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)'
            cand --once 'Run one cycle and exit (for cron and systemd timers)'
            cand --demo 'Watch the bundled sample fleet instead of AWS (to try it out)'
            cand --sync 'Also push the results to the backend (as `finops sync`)'
            cand --allow-insecure-http 'Allow the bearer token over plain HTTP to a non-loopback host'
            cand --all-regions 'Scan every region enabled for the account (DescribeRegions)'
            cand --no-progress 'Never show progress bars'
            cand -q 'Print only the results and errors'
            cand --quiet 'Print only the results and errors'
            cand -v 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand --verbose 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'finops;pricing'= {
            cand --engine 'For DB classes: only this engine (mysql, postgres, mariadb)'
            cand --profile 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile)'
            cand --region 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)'
            cand --endpoint-url 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --services 'Only these services (comma list)'
            cand --config 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)'
            cand --multi-az 'For DB classes: only the Multi-AZ price'
            cand --all-regions 'Scan every region enabled for the account (DescribeRegions)'
            cand --no-progress 'Never show progress bars'
            cand -q 'Print only the results and errors'
            cand --quiet 'Print only the results and errors'
            cand -v 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand --verbose 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'finops;config'= {
            cand --profile 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile)'
            cand --region 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)'
            cand --endpoint-url 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --services 'Only these services (comma list)'
            cand --config 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)'
            cand --all-regions 'Scan every region enabled for the account (DescribeRegions)'
            cand --no-progress 'Never show progress bars'
            cand -q 'Print only the results and errors'
            cand --quiet 'Print only the results and errors'
            cand -v 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand --verbose 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'finops;completions'= {
            cand --profile 'AWS profile to use (else AWS_PROFILE, the config file, or the default profile)'
            cand --region 'Region to scan; repeat or give a comma list (us-east-1,eu-west-1)'
            cand --endpoint-url 'Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --services 'Only these services (comma list)'
            cand --config 'Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)'
            cand --all-regions 'Scan every region enabled for the account (DescribeRegions)'
            cand --no-progress 'Never show progress bars'
            cand -q 'Print only the results and errors'
            cand --quiet 'Print only the results and errors'
            cand -v 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand --verbose 'More detail on stderr: -v adds API call counts and timings, -vv debug logs'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'finops;help'= {
            cand scan 'Discover and price EC2, EBS, RDS, load balancers and Auto Scaling groups'
            cand recommend 'Find idle and overprovisioned resources and what acting on them saves'
            cand sync 'Push inventory and recommendations to the FinOps backend, losing nothing'
            cand resize 'Apply a downsizing path (EC2 type, RDS class, EBS gp3) after approval'
            cand savings 'List the savings recorded by applied resizes, with their total'
            cand watch 'Scan and recommend on a schedule and report what changed (for systemd and cron)'
            cand pricing 'Show the bundled price of an instance type, DB class or volume type'
            cand config 'Print the effective settings and where each comes from'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'finops;help;scan'= {
        }
        &'finops;help;recommend'= {
        }
        &'finops;help;sync'= {
        }
        &'finops;help;resize'= {
        }
        &'finops;help;savings'= {
        }
        &'finops;help;watch'= {
        }
        &'finops;help;pricing'= {
        }
        &'finops;help;config'= {
        }
        &'finops;help;completions'= {
        }
        &'finops;help;help'= {
        }
    ]
    $completions[$command]
}

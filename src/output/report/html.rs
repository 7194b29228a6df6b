//! The HTML report: one file, nothing external. The page's figures carry
//! their exact amounts in `data-` attributes, so a test (or a script)
//! reads the same numbers as the JSON reports.

use std::fmt::Write as _;

use super::{Input, resource, risk, svg};
use crate::money::usd;

/// Text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root{--fg:#1b1f24;--muted:#5b6470;--line:#d7dce2;--bg:#fff;--card:#f4f6f8;--bar:#2f6fb3;--bad:#c0392b;--ok:#2e7d32}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:24px;font:15px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
.muted,.scope{color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px}
.card{background:var(--card);border-radius:6px;padding:12px 14px}
.card .k{color:var(--muted);font-size:13px}.card .v{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(400px,1fr));gap:20px}
figure{margin:0}figcaption{font-weight:600;margin-bottom:6px}
svg.chart{width:100%;height:auto;font-size:12px}
svg .bar rect{fill:var(--bar)}svg .label{fill:var(--fg)}svg .value{fill:var(--muted)}
svg .line{stroke:var(--bar);stroke-width:2}svg .anomaly{fill:var(--bad)}svg .muted{fill:var(--muted)}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit}
th[aria-sort=ascending] button::after{content:" \25B2"}th[aria-sort=descending] button::after{content:" \25BC"}
input[type=search]{font:inherit;padding:6px 8px;width:min(420px,100%);margin-bottom:8px;border:1px solid var(--line);border-radius:4px}
.stale{color:var(--bad);font-weight:600}.risk-high{color:var(--bad)}.at-risk{color:var(--bad);font-weight:600}
footer{margin-top:40px;color:var(--muted);font-size:13px}
@media (max-width:640px){body{padding:12px}.cards{grid-template-columns:1fr 1fr;gap:8px}.charts{grid-template-columns:1fr}svg.chart{font-size:14px}.card .v{font-size:18px}td,th{padding:5px 6px}}
@media print{body{max-width:none;padding:0;font-size:11pt}input[type=search],.noprint{display:none}
 h2{break-after:avoid}figure,tr,.card{break-inside:avoid}.charts{grid-template-columns:1fr 1fr}
 th button::after{content:""!important}a{color:inherit;text-decoration:none}}
"#;

/// Sorting (click a column's header) and filtering (the search box): no
/// library, no network.
const SCRIPT: &str = r#"
(function(){
  function key(cell,num){var v=cell.getAttribute('data-v');if(v===null)v=cell.textContent.trim();
    if(num){var n=parseFloat(v);return isNaN(n)?-Infinity:n;}return v.toLowerCase();}
  document.querySelectorAll('table.sortable').forEach(function(t){
    var ths=t.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths,function(th,i){
      var b=th.querySelector('button');if(!b)return;
      b.addEventListener('click',function(){
        var num=th.classList.contains('num');
        var asc=th.getAttribute('aria-sort')!=='ascending';
        Array.prototype.forEach.call(ths,function(h){h.removeAttribute('aria-sort');});
        th.setAttribute('aria-sort',asc?'ascending':'descending');
        var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,c){var x=key(a.cells[i],num),y=key(c.cells[i],num);
          return (x<y?-1:x>y?1:0)*(asc?1:-1);});
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
  });
  var f=document.getElementById('filter');
  if(f){f.addEventListener('input',function(){var q=f.value.toLowerCase(),shown=0;
    var rows=document.getElementById('all-findings').tBodies[0].rows;
    Array.prototype.forEach.call(rows,function(r){var ok=r.textContent.toLowerCase().indexOf(q)>=0;
      r.hidden=!ok;if(ok)shown++;});
    document.getElementById('shown').textContent=shown;});}
})();
"#;

pub(crate) fn render(i: &Input) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"finops {}\"><title>finops report: {}</title><style>{STYLE}</style></head><body>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&i.scope)
    );
    let _ = writeln!(
        s,
        "<header><h1>finops report</h1><p class=\"scope\">{} · generated {} · {} resources in {} region(s) · list prices from the bundled tables, 730 hours a month</p></header>",
        esc(&i.scope),
        esc(&i.generated_at),
        i.scan
            .totals
            .by_service
            .values()
            .map(|v| v.resources)
            .sum::<usize>(),
        i.scan.totals.by_region.len()
    );
    headline(&mut s, i);
    charts(&mut s, i);
    if let Some(sp) = i.spend {
        spend(&mut s, sp);
    }
    top(&mut s, i);
    findings(&mut s, i);
    unpriced(&mut s, i);
    tables(&mut s, i);
    let _ = write!(
        s,
        "<footer>Made by finops {} from a scan and its recommendations{}. Savings count each resource once, at its largest finding; unpriced resources are in no total.</footer>\n<script>{SCRIPT}</script>\n</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        if i.spend.is_some() {
            " and the bill (Cost Explorer)"
        } else {
            ""
        }
    );
    s
}

fn headline(s: &mut String, i: &Input) {
    s.push_str("<section id=\"headline\" class=\"cards\">\n");
    for (id, label, shown, exact) in i.headline() {
        let _ = writeln!(
            s,
            "<div class=\"card\" id=\"{id}\" data-value=\"{}\"><div class=\"k\">{}</div><div class=\"v\">{}</div></div>",
            exact.map(|d| d.to_string()).unwrap_or_default(),
            esc(label),
            esc(&shown)
        );
    }
    s.push_str("</section>\n");
}

fn charts(s: &mut String, i: &Input) {
    s.push_str("<h2>Where the money goes</h2><section id=\"charts\" class=\"charts\">\n");
    for (id, title, bars) in [
        ("by-service", "Monthly list cost by service", i.by_service()),
        ("by-region", "Monthly list cost by region", i.by_region()),
        ("by-account", "Monthly list cost by account", i.by_account()),
        (
            "by-action",
            "Potential monthly savings by action",
            i.by_action(),
        ),
    ] {
        let _ = writeln!(
            s,
            "<figure><figcaption>{}</figcaption>{}</figure>",
            esc(title),
            svg::bars(id, title, &bars, 12)
        );
    }
    if i.history.len() >= 2 {
        let _ = writeln!(
            s,
            "<figure><figcaption>Monthly cost over the last {} watch cycles{}</figcaption>{}</figure>",
            i.history.len(),
            if i.history_anomalies.is_empty() {
                String::new()
            } else {
                format!(" ({} anomalies in red)", i.history_anomalies.len())
            },
            svg::history("history", &i.history, &i.history_anomalies)
        );
    }
    s.push_str("</section>\n");
}

fn spend(s: &mut String, sp: &crate::spend::SpendReport) {
    let _ = write!(
        s,
        "<h2>The bill ({} cost, {} to {})</h2><div class=\"table-wrap\"><table id=\"spend\"><thead><tr><th>By {}</th><th class=\"num\">Month to date</th><th class=\"num\">Same days last month</th><th class=\"num\">Change</th></tr></thead><tbody>",
        esc(&sp.metric),
        esc(&sp.period_start),
        esc(&sp.period_end),
        esc(&sp.dimensions.join(" / "))
    );
    for e in &sp.by {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&e.name),
            usd(e.month_to_date_usd, 2),
            usd(e.previous_period_usd, 2),
            super::signed(e.change_usd)
        );
    }
    s.push_str("</tbody></table></div>\n");
    if !sp.anomalies.is_empty() {
        s.push_str("<p><strong>Spend anomalies:</strong></p><ul id=\"spend-anomalies\">");
        for a in &sp.anomalies {
            let _ = write!(
                s,
                "<li>{} {} {}: {} against {} expected</li>",
                esc(&a.date),
                esc(&a.dimension),
                esc(a.name.as_deref().unwrap_or(&a.key)),
                usd(a.actual_usd, 2),
                usd(a.expected_usd, 2)
            );
        }
        s.push_str("</ul>\n");
    }
    if !sp.budgets.is_empty() {
        s.push_str("<div class=\"table-wrap\"><table id=\"budgets\"><thead><tr><th>Budget</th><th class=\"num\">Limit</th><th class=\"num\">Actual</th><th class=\"num\">Forecast</th><th>At risk</th></tr></thead><tbody>");
        for b in &sp.budgets {
            let _ = write!(
                s,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{} ({}%)</td><td class=\"num\">{}</td><td{}>{}</td></tr>",
                esc(&b.name),
                usd(b.limit_usd, 2),
                usd(b.actual_usd, 2),
                b.percent_used,
                b.forecast_usd.map_or("-".into(), |f| usd(f, 2)),
                if b.at_risk { " class=\"at-risk\"" } else { "" },
                if b.at_risk { "yes" } else { "no" }
            );
        }
        s.push_str("</tbody></table></div>\n");
    }
}

fn top(s: &mut String, i: &Input) {
    let ranked: Vec<_> = i
        .ranked()
        .into_iter()
        .filter(|r| r.monthly_savings_usd.is_some())
        .take(i.top)
        .collect();
    let _ = write!(
        s,
        "<h2>Top findings</h2><div class=\"table-wrap\"><table id=\"top\"><thead><tr><th>Resource</th><th>Name</th><th>Action</th><th class=\"num\">Saving / month</th><th>Risk</th><th>Evidence</th></tr></thead><tbody>"
    );
    for r in ranked {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"risk-{}\">{}</td><td>{}</td></tr>",
            esc(&r.resource_id),
            esc(r.name.as_deref().unwrap_or("")),
            esc(&r.action.to_string()),
            r.monthly_savings_usd
                .map_or("unpriced".into(), |v| usd(v, 2)),
            risk(r),
            risk(r),
            esc(&r.evidence.summary)
        );
    }
    s.push_str("</tbody></table></div>\n");
}

fn findings(s: &mut String, i: &Input) {
    let several = i.rec.accounts.len() > 1;
    let _ = writeln!(
        s,
        "<h2>Every finding (<span id=\"shown\">{n}</span> of {n})</h2><input id=\"filter\" type=\"search\" placeholder=\"Filter: an id, a region, an action...\" aria-label=\"Filter the findings\">\
         <div class=\"table-wrap\"><table id=\"all-findings\" class=\"sortable\"><thead><tr>{}<th><button type=\"button\">Resource</button></th><th><button type=\"button\">Kind</button></th><th><button type=\"button\">Region</button></th><th><button type=\"button\">Action</button></th><th class=\"num\"><button type=\"button\">Saving / month</button></th><th><button type=\"button\">Risk</button></th><th><button type=\"button\">Confidence</button></th><th>Evidence</th></tr></thead><tbody>",
        if several {
            "<th><button type=\"button\">Account</button></th>"
        } else {
            ""
        },
        n = i.rec.recommendations.len(),
    );
    for r in i.ranked() {
        let account = if several {
            format!("<td>{}</td>", esc(r.account_id.as_deref().unwrap_or("")))
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "<tr data-id=\"{}\">{account}<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"risk-{}\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.recommendation_id),
            esc(&resource(r)),
            esc(r.kind.name()),
            esc(&r.region),
            esc(&r.action.to_string()),
            r.monthly_savings_usd
                .map(|v| v.to_string())
                .unwrap_or_default(),
            r.monthly_savings_usd
                .map_or("unpriced".into(), |v| usd(v, 2)),
            risk(r),
            risk(r),
            esc(&r.confidence.to_string()),
            esc(&r.evidence.summary)
        );
    }
    s.push_str("</tbody></table></div>\n");
}

fn unpriced(s: &mut String, i: &Input) {
    let _ = write!(s, "<h2>Unpriced resources ({})</h2>", i.rec.unpriced.len());
    if i.rec.unpriced.is_empty() {
        s.push_str("<p class=\"muted\">Every resource has a list price.</p>\n");
        return;
    }
    s.push_str("<p class=\"muted\">No list price, so in no total (never counted as $0).</p><ul id=\"unpriced-list\">");
    for u in &i.rec.unpriced {
        let _ = write!(
            s,
            "<li><code>{}</code> {} {} ({}): {}</li>",
            esc(&u.id),
            esc(u.kind.name()),
            esc(&u.region),
            esc(&u.type_),
            esc(&u.reason)
        );
    }
    s.push_str("</ul>\n");
}

fn tables(s: &mut String, i: &Input) {
    s.push_str("<h2>Price tables</h2><ul id=\"price-tables\">");
    for (id, date, description, stale) in i.tables() {
        let _ = write!(
            s,
            "<li><strong>{}</strong>: data date {}{} ({})</li>",
            esc(id),
            esc(&date),
            if stale {
                " <span class=\"stale\">stale: over 180 days old</span>"
            } else {
                ""
            },
            esc(&description)
        );
    }
    s.push_str("</ul>\n");
}

"""The pages' small scripts, run under Node.js against a stand-in DOM.

Each test renders the real page through Django, takes its inline script and
runs it with Node.js together with a few stand-in objects for `document`,
`fetch` and timers, then checks what the script did.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from provisioning.models import Server

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


def inline_script(html: str) -> str:
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 1, scripts
    return scripts[0]


def fill(template: str, **values: object) -> str:
    """Replace each `__NAME__` in a script template with the JSON of its value."""
    for name, value in values.items():
        template = template.replace(f"__{name}__", json.dumps(value))
    return template


def run_node(source: str) -> dict:
    result = subprocess.run(
        [NODE, "-e", source], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


SIGNUP_STAND_IN = """
function option(value) { return {value: value, hidden: false, disabled: false, selected: false}; }
var region = {
  options: __REGIONS__.map(option),
  get value() {
    var s = this.options.find(function (o) { return o.selected; });
    return s ? s.value : "";
  },
  set value(v) { this.options.forEach(function (o) { o.selected = o.value === v; }); }
};
region.options[0].selected = true;
var listeners = {};
var plan = {value: "standard", addEventListener: function (name, f) { listeners[name] = f; }};
var elements = {"plan-regions": {textContent: __PLAN_REGIONS__}, id_plan: plan, id_region: region};
var document = {getElementById: function (id) { return elements[id]; }};
function shown() {
  var visible = region.options.filter(function (o) { return !o.hidden; });
  return visible.map(function (o) { return o.value; });
}
"""

SIGNUP_CHECKS = """
var results = {standard: {shown: shown(), value: region.value}};
plan.value = "starter"; listeners.change();
results.starter = {shown: shown(), value: region.value};
region.value = "eu-west"; plan.value = "standard"; listeners.change();
results.back = {value: region.value};
console.log(JSON.stringify(results));
"""


def test_signup_script_offers_plan_regions(client, plans):
    html = client.get(reverse("accounts:signup"), {"plan": "standard"}).content.decode()
    plan_regions = re.search(r'<script id="plan-regions"[^>]*>(.*?)</script>', html).group(1)
    regions = re.findall(
        r'<option value="([^"]*)"[^>]*>[^<]*</option>', html.split('id="id_region"')[1]
    )
    stand_in = fill(SIGNUP_STAND_IN, REGIONS=regions, PLAN_REGIONS=plan_regions)

    results = run_node(stand_in + inline_script(html) + SIGNUP_CHECKS)

    assert sorted(results["standard"]["shown"]) == ["eu-west", "us-east"]
    assert results["standard"]["value"] in ("eu-west", "us-east")
    assert sorted(results["starter"]["shown"]) == ["", "us-east"]
    assert results["back"]["value"] == "eu-west"


DASHBOARD_STAND_IN = """
var fields = {};
["state", "progress", "ipv4", "ipv6", "linode_id", "updated", "message"].forEach(function (name) {
  fields[name] = {textContent: "", value: 0};
});
var box = {dataset: __DATASET__, querySelector: function (selector) {
  return fields[selector.match(/data-field="([a-z_0-9]+)"/)[1]];
}};
var document = {getElementById: function (id) { return id === "server-status" ? box : null; }};
var timers = [];
var reloaded = false;
var requested = [];
var responses = __RESPONSES__;
var window = {
  setTimeout: function (f) { timers.push(f); },
  location: {reload: function () { reloaded = true; }}
};
function fetch(url) {
  requested.push(url);
  var body = responses.shift();
  return Promise.resolve({ok: true, json: function () { return Promise.resolve(body); }});
}
function settle() { return new Promise(function (resolve) { setImmediate(resolve); }); }
"""

DASHBOARD_CHECKS = """
(async function () {
  var steps = [];
  for (var i = 0; i < 2; i++) {
    if (timers.length === 0) { break; }
    timers.shift()();
    for (var j = 0; j < 5; j++) { await settle(); }
    var seen = {progress: fields.progress.value, ipv4: fields.ipv4.textContent};
    steps.push({reloaded: reloaded, progress: seen.progress, ipv4: seen.ipv4});
  }
  console.log(JSON.stringify({steps: steps, requested: requested, pending: timers.length}));
})();
"""


def render_dashboard(client) -> tuple[str, dict]:
    html = client.get(reverse("dashboard")).content.decode()
    box = re.search(r'<div class="card" id="server-status"(.*?)>', html, re.S).group(1)
    dataset = {
        "url": re.search(r'data-url="([^"]*)"', box).group(1),
        "state": re.search(r'data-state="([^"]*)"', box).group(1),
        "final": re.search(r'data-final="([^"]*)"', box).group(1),
    }
    return html, dataset


def test_dashboard_script_updates_then_reloads(customer_client, customer):
    Server.objects.filter(customer=customer).update(state="provisioning", progress=10)
    html, dataset = render_dashboard(customer_client)
    responses = [
        {
            "state": "provisioning",
            "progress": 40,
            "ipv4": "192.0.2.7",
            "ipv6": None,
            "linode_id": 7,
            "updated": "now",
        },
        {
            "state": "booting",
            "progress": 60,
            "ipv4": "192.0.2.7",
            "ipv6": None,
            "linode_id": 7,
            "updated": "later",
        },
    ]
    stand_in = fill(DASHBOARD_STAND_IN, DATASET=dataset, RESPONSES=responses)

    results = run_node(stand_in + inline_script(html) + DASHBOARD_CHECKS)

    first, second = results["steps"]
    assert first == {"reloaded": False, "progress": 40, "ipv4": "192.0.2.7"}
    assert second["reloaded"] is True
    assert results["requested"] == [reverse("dashboard-server-json")] * 2


def test_dashboard_script_idle_when_terminated(customer_client, customer):
    Server.objects.filter(customer=customer).update(state="terminated")
    html, dataset = render_dashboard(customer_client)
    stand_in = fill(DASHBOARD_STAND_IN, DATASET=dataset, RESPONSES=[])

    results = run_node(stand_in + inline_script(html) + DASHBOARD_CHECKS)

    assert dataset["final"] == "true"
    assert results == {"steps": [], "requested": [], "pending": 0}

#!/usr/bin/env python3
# Vendored from the project's shared tools (../shared/tools/pynetbox-check.py) so that CI runs it on a clean clone; .ci/run drives it.
"""Drive the NetBox simulator with pynetbox, NetBox's own Python client, as a real user's script would.

A client that nobody on this project wrote is the best test that `wugsync sim netbox` speaks NetBox.
Install the client once: apt-get install -y python3-pynetbox (Debian ships 7.0.0).

Usage:
  wugsync sim netbox --addr 127.0.0.1:18000 --devices 1200 --token 0123456789abcdef0123456789abcdef01234567 &
  python3 ../shared/tools/pynetbox-check.py --url http://127.0.0.1:18000 \
      --token 0123456789abcdef0123456789abcdef01234567 [--writes]

Prints one PASS/FAIL line per call, then 'N passed, M failed'; exits 1 on any failure.
--writes also exercises what DESIGN.md section 10 needs from NetBox: custom fields and links, bulk
updates of devices and VMs, journal entries, webhooks and event rules.
"""
import argparse
import sys

try:
    import pynetbox
except ImportError:
    sys.exit("pynetbox is missing: apt-get install -y python3-pynetbox")

ap = argparse.ArgumentParser()
ap.add_argument("--url", required=True)
ap.add_argument("--token", required=True)
ap.add_argument("--writes", action="store_true")
args = ap.parse_args()
api = pynetbox.api(args.url, token=args.token)
results = []


def check(name, fn, expect=lambda v: True):
    try:
        value = fn()
        ok = expect(value)
        results.append((ok, name, repr(value)[:160]))
    except Exception as e:  # pynetbox raises RequestError with NetBox's answer
        results.append((False, name, ("%s: %s" % (type(e).__name__, e))[:300]))


def expect_error(name, fn, status, text):
    try:
        fn()
        results.append((False, name, "no error; NetBox answers %d here" % status))
    except pynetbox.RequestError as e:
        ok = e.req.status_code == status and text in str(e.error)
        results.append((ok, name, "%d %s" % (e.req.status_code, str(e.error)[:160])))


check("status reports a 4.x version", lambda: api.status()["netbox-version"], lambda v: v.startswith("4."))
check("count() matches a full listing", lambda: (api.dcim.devices.count(), len(list(api.dcim.devices.all()))),
      lambda v: v[0] == v[1] > 0)
site = next(iter(api.dcim.sites.all()))
role = next(iter(api.dcim.device_roles.all()))
tag = next(iter(api.extras.tags.all()))
check("filter by site slug", lambda: list(api.dcim.devices.filter(site=site.slug)),
      lambda v: v and all(d.site.id == site.id for d in v))
check("filter by role slug", lambda: list(api.dcim.devices.filter(role=role.slug)),
      lambda v: v and all(d.role.id == role.id for d in v))
check("filter by tag", lambda: list(api.dcim.devices.filter(tag=tag.slug)),
      lambda v: v and all(tag.slug in [t.slug for t in d.tags] for d in v))
check("filter by several statuses", lambda: {d.status.value for d in api.dcim.devices.filter(status=["active", "offline"])},
      lambda v: v <= {"active", "offline"} and "active" in v)
check("get by id has role, site and primary IP", lambda: api.dcim.devices.get(2),
      lambda d: d.role and d.site and (d.primary_ip4 or d.primary_ip6 or d.primary_ip is None))
check("IP addresses of one device", lambda: list(api.ipam.ip_addresses.filter(device_id=2)),
      lambda v: all(i.assigned_object and i.assigned_object.device.id == 2 for i in v))
check("virtual machines list", lambda: list(api.virtualization.virtual_machines.all()), lambda v: isinstance(v, list))
check("custom_fields present on a device", lambda: api.dcim.devices.get(2).custom_fields, lambda v: isinstance(v, dict))
expect_error("unknown tag is refused like NetBox", lambda: list(api.dcim.devices.filter(tag="no-such-tag-x")),
             400, "Select a valid choice")

if args.writes:
    def save_name():
        d = api.dcim.devices.get(5)
        d.name = d.name + "-renamed"
        d.save()
        return api.dcim.devices.get(5).name
    check("save() a rename (PATCH)", save_name, lambda v: v.endswith("-renamed"))
    def ensure_field():
        found = list(api.extras.custom_fields.filter(name="wug_device_id"))
        if found:
            return found[0]
        return api.extras.custom_fields.create(name="wug_device_id", type="text",
                                               object_types=["dcim.device", "virtualization.virtualmachine"])
    check("custom field wug_device_id exists or is created", ensure_field, lambda f: f.name == "wug_device_id")
    check("bulk update of devices' custom field",
          lambda: api.dcim.devices.update([{"id": 2, "custom_fields": {"wug_device_id": "812"}},
                                           {"id": 3, "custom_fields": {"wug_device_id": "813"}}]),
          lambda v: len(v) == 2)
    check("the bulk update is visible", lambda: api.dcim.devices.get(3).custom_fields.get("wug_device_id"),
          lambda v: v == "813")
    expect_error("an unknown custom field is refused like NetBox",
                 lambda: api.dcim.devices.update([{"id": 2, "custom_fields": {"no_such_field_x": "1"}}]),
                 400, "Unknown field name")
    vm = next(iter(api.virtualization.virtual_machines.all()), None)
    if vm is not None:
        check("bulk update of a VM's custom field",
              lambda: api.virtualization.virtual_machines.update([{"id": vm.id, "custom_fields": {"wug_device_id": "900"}}]),
              lambda v: len(v) == 1)
    check("journal entry on a device",
          lambda: api.extras.journal_entries.create(assigned_object_type="dcim.device", assigned_object_id=2,
                                                    kind="info", comments="Added to WhatsUp Gold as device 812"),
          lambda j: j.id)
    check("custom link on devices",
          lambda: api.extras.custom_links.create(name="WhatsUp Gold check", object_types=["dcim.device"],
                                                 link_text="WhatsUp Gold",
                                                 link_url="https://wug.example.invalid/NmConsole/?d={{ object.cf.wug_device_id }}"),
          lambda c: c.id)
    def webhook_and_rule():
        hook = api.extras.webhooks.create(name="wugsync check", payload_url="http://127.0.0.1:8080/api/v1/webhooks/netbox",
                                          http_method="POST", http_content_type="application/json", secret="s" * 32)
        rule = api.extras.event_rules.create(name="wugsync check", object_types=["dcim.device"],
                                             event_types=["object_created", "object_updated", "object_deleted"],
                                             action_type="webhook", action_object_type="extras.webhook",
                                             action_object_id=hook.id)
        return hook.id, rule.id
    check("webhook and event rule", webhook_and_rule, lambda v: all(v))

for ok, name, detail in results:
    print("%s %s: %s" % ("PASS" if ok else "FAIL", name, detail))
passed = sum(1 for r in results if r[0])
print("%d passed, %d failed" % (passed, len(results) - passed))
sys.exit(0 if passed == len(results) else 1)

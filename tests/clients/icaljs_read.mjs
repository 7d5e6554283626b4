// Reads one iCalendar file with ical.js (Mozilla's parser: Thunderbird, many web
// calendars) and prints, as JSON, what a client built on it would show: each VEVENT's
// UID, SEQUENCE, the calendar's METHOD, text, times as UTC instants worked out by
// ical.js from the file's own VTIMEZONE, people, and the series expanded.
//
//   node icaljs_read.mjs FILE.ics [--max N]     (FILE "-" reads standard input)
//
// Also reports the physical lines as RFC 5545 3.1 wants them: CRLF, at most 75
// octets, a fold never splitting a UTF-8 character. A file ical.js cannot parse
// exits 1 with its error on standard error.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const args = process.argv.slice(2);
const file = args[0];
const maxIndex = args.indexOf("--max");
const MAX = maxIndex >= 0 ? Number(args[maxIndex + 1]) : 60;

function lineReport(buf) {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const out = { count: 0, max_octets: 0, over_75: [], broken_utf8: [], bare_lf: 0 };
  let start = 0;
  let number = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    const crlf = end > start && buf[end - 1] === 0x0d;
    if (end < buf.length && !crlf) out.bare_lf += 1;
    const line = buf.subarray(start, crlf ? end - 1 : end);
    number += 1;
    out.max_octets = Math.max(out.max_octets, line.length);
    if (line.length > 75) out.over_75.push(number);
    try {
      decoder.decode(line);
    } catch {
      out.broken_utf8.push(number);
    }
    start = end + 1;
  }
  out.count = number;
  return out;
}

function when(time, zone) {
  if (!time) return null;
  if (time.isDate) return { all_day: true, date: time.toString(), utc: null, local: null, tzid: null };
  const tzid = time.zone ? time.zone.tzid : null;
  const local = zone ? time.convertToZone(zone) : null;
  return {
    all_day: false,
    date: null,
    utc: new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z"),
    local: local ? local.toString() : null,
    tzid,
  };
}

function person(prop) {
  if (!prop) return null;
  const value = String(prop.getFirstValue());
  const params = {};
  for (const name of ["cn", "sent-by", "role", "partstat", "rsvp", "cutype"]) {
    const p = prop.getParameter(name);
    if (p !== undefined && p !== null) params[name.replace("-", "_")] = String(p);
  }
  return { address: value, email: value.replace(/^mailto:/i, ""), ...params };
}

function text(comp, name) {
  const value = comp.getFirstPropertyValue(name);
  return value === null || value === undefined ? null : String(value);
}

function eventJson(comp, method, zone) {
  // A series' exceptions are the components with its UID and a RECURRENCE-ID (as
  // Thunderbird pairs them), never another event's that happens to share a time.
  const uid = comp.getFirstPropertyValue("uid");
  const exceptions = comp.hasProperty("recurrence-id") ? [] : (comp.parent ? comp.parent.getAllSubcomponents("vevent") : [])
    .filter((c) => c.hasProperty("recurrence-id") && c.getFirstPropertyValue("uid") === uid);
  const ev = new ICAL.Event(comp, { strictExceptions: true, exceptions });
  const rrule = comp.getFirstPropertyValue("rrule");
  const exdates = [];
  for (const p of comp.getAllProperties("exdate")) for (const v of p.getValues()) exdates.push(when(v, zone));
  const rdates = [];
  for (const p of comp.getAllProperties("rdate")) for (const v of p.getValues()) rdates.push(when(v, zone));
  const out = {
    uid: ev.uid,
    sequence: ev.sequence,
    method,
    recurrence_id: ev.isRecurrenceException() ? when(ev.recurrenceId, zone) : null,
    summary: ev.summary,
    location: ev.location,
    description: ev.description,
    url: text(comp, "url"),
    status: text(comp, "status"),
    transp: text(comp, "transp"),
    class: text(comp, "class"),
    dtstamp: when(comp.getFirstPropertyValue("dtstamp"), zone),
    all_day: ev.startDate ? ev.startDate.isDate : null,
    start: when(ev.startDate, zone),
    end: when(ev.endDate, zone),
    organizer: person(comp.getFirstProperty("organizer")),
    attendees: comp.getAllProperties("attendee").map(person),
    rrule: rrule ? rrule.toString() : null,
    exdates,
    rdates,
    alarms: comp.getAllSubcomponents("valarm").map((a) => ({
      action: text(a, "action"),
      trigger: text(a, "trigger"),
      description: text(a, "description"),
    })),
    occurrences: [],
    truncated: false,
  };
  if (!ev.isRecurrenceException() && ev.isRecurring()) {
    const it = ev.iterator();
    let next;
    while ((next = it.next())) {
      if (out.occurrences.length >= MAX) {
        out.truncated = true;
        break;
      }
      const details = ev.getOccurrenceDetails(next);
      out.occurrences.push({
        recurrence_id: when(details.recurrenceId, zone),
        start: when(details.startDate, zone),
        end: when(details.endDate, zone),
        summary: details.item.summary,
        description: details.item.description,
        exception: details.item !== ev,
      });
    }
  }
  return out;
}

const raw = readFileSync(file === "-" ? 0 : file);
const root = new ICAL.Component(ICAL.parse(raw.toString("utf8")));
const zones = root.getAllSubcomponents("vtimezone").map((vtz) => {
  const tz = new ICAL.Timezone(vtz);
  ICAL.TimezoneService.register(tz);
  return tz;
});
// Local times are shown in the plan's zone, as ical.js reads it from the file (a client
// set to Europe/London shows these); a file without a VTIMEZONE (all-day only) has none.
const shown = zones.find((z) => z.tzid === "Europe/London") || zones[0] || null;
const method = root.getFirstPropertyValue("method");
const report = {
  method: method === null ? null : String(method),
  prodid: text(root, "prodid"),
  version: text(root, "version"),
  calname: text(root, "x-wr-calname"),
  refresh_interval: text(root, "refresh-interval"),
  timezones: zones.map((z) => z.tzid),
  timezone_rules: root.getAllSubcomponents("vtimezone").map((vtz) => ({
    tzid: text(vtz, "tzid"),
    parts: vtz.getAllSubcomponents().map((part) => ({
      kind: part.name,
      rrule: part.getFirstPropertyValue("rrule") ? part.getFirstPropertyValue("rrule").toString() : null,
      rdates: part.getAllProperties("rdate").length,
    })),
  })),
  lines: lineReport(raw),
  events: root.getAllSubcomponents("vevent").map((comp) => eventJson(comp, method === null ? null : String(method),
    shown)),
};
process.stdout.write(JSON.stringify(report, null, 1) + "\n");

// Reads an iCalendar document on stdin and prints its events as JSON, parsed by ical.js
// (an independent, maintained RFC 5545 parser): uid, start (ISO 8601 UTC), summary,
// description, url, sequence, lastModified, status, categories, and the raw folded-line
// lengths in octets.
const ICAL = require("ical.js");
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const comp = new ICAL.Component(ICAL.parse(input));
  const events = comp.getAllSubcomponents("vevent").map((v) => {
    const e = new ICAL.Event(v);
    const lm = v.getFirstPropertyValue("last-modified");
    return {
      uid: e.uid,
      start: e.startDate.toJSDate().toISOString(),
      end: e.endDate.toJSDate().toISOString(),
      summary: e.summary,
      description: e.description,
      url: v.getFirstPropertyValue("url"),
      sequence: e.sequence,
      lastModified: lm ? lm.toJSDate().toISOString() : null,
      status: v.getFirstPropertyValue("status"),
      categories: v.getFirstProperty("categories") ? v.getFirstProperty("categories").getValues() : [],
    };
  });
  const lines = input.split("\r\n").map((l) => Buffer.byteLength(l, "utf8"));
  process.stdout.write(JSON.stringify({ name: comp.getFirstPropertyValue("x-wr-calname"), events, lineOctets: lines }));
});

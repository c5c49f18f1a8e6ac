/// The default templates: what an operator reads at 3 a.m. Each is a Mustache template over
/// ``TemplateContext``; receivers override any of them.
package enum DefaultTemplates {
    /// `[ECC] CRITICAL: Interface Gi0/1 down on core1 (+2 more)`, `[ECC] RESOLVED: …`,
    /// `[ECC] ESCALATION step 2: …`, `[ECC] Digest: 37 notifications held by the rate limit`.
    package static let subject = """
        [ECC] {{status}}: {{#isDigest}}{{heldCount}} notifications held by the rate limit{{/isDigest}}\
        {{^isDigest}}{{#firstAlarm}}{{headline}}{{/firstAlarm}}{{^hasAlarms}}{{#isTest}}test message for \
        receiver {{receiver}}{{/isTest}}{{^isTest}}{{kind}} notification{{/isTest}}{{/hasAlarms}}\
        {{#hasMore}} (+{{moreCount}} more){{/hasMore}}{{/isDigest}}
        """

    /// The plain-text body: one block per alarm, or the held messages of a digest.
    package static let text = """
        {{#isDigest}}
        The rate limit of receiver {{receiver}} held back {{heldCount}} notifications:

        {{#held}}
        - {{createdAt}} [{{kind}}] {{line}}{{#hasRoute}} (route {{route}}){{/hasRoute}}
        {{/held}}
        {{/isDigest}}
        {{^isDigest}}
        {{status}}{{#hasRoute}} (route {{route}}){{/hasRoute}}: {{alarmCount}} alarm(s)
        {{#isTest}}
        This is a test message for receiver {{receiver}}.
        {{/isTest}}

        {{#alarms}}
        {{index}}. [{{severityUpper}}] {{headline}}{{#isCleared}} (cleared){{/isCleared}}
           Host:       {{host}}
           Rule / key: {{rule}} / {{key}}
           First seen: {{firstSeen}}
           Last seen:  {{lastSeen}} (count {{count}})
        {{#hasClearedAt}}
           Cleared:    {{clearedAt}}
        {{/hasClearedAt}}
        {{#hasIncident}}
           Incident:   {{incidentLabel}}
        {{/hasIncident}}

        {{/alarms}}
        {{/isDigest}}
        --
        ECC notification {{id}} ({{kind}}, {{createdAt}})

        """

    /// The HTML body: the same content as a table (every value HTML-escaped).
    package static let html = """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>ECC {{status}}</title></head>
        <body style="font-family: sans-serif; font-size: 14px;">
        {{#isDigest}}
        <h2>Digest: {{heldCount}} notifications held by the rate limit of {{receiver}}</h2>
        <ul>
        {{#held}}
        <li><code>{{createdAt}}</code> [{{kind}}] {{line}}{{#hasRoute}} (route {{route}}){{/hasRoute}}</li>
        {{/held}}
        </ul>
        {{/isDigest}}
        {{^isDigest}}
        <h2>{{status}}{{#hasRoute}} <small>(route {{route}})</small>{{/hasRoute}}</h2>
        {{#isTest}}<p>This is a test message for receiver {{receiver}}.</p>{{/isTest}}
        <table border="1" cellpadding="4" cellspacing="0" style="border-collapse: collapse;">
        <tr><th>Severity</th><th>Summary</th><th>Host</th><th>Rule / key</th><th>First seen (UTC)</th>\
        <th>Last seen (UTC)</th><th>Count</th><th>Incident</th></tr>
        {{#alarms}}
        <tr><td{{#isCritical}} style="color: #b00; font-weight: bold;"{{/isCritical}}>{{severityUpper}}\
        {{#isCleared}} (cleared){{/isCleared}}</td><td>{{summary}}</td><td>{{host}}</td><td>{{rule}} / {{key}}</td>\
        <td>{{firstSeen}}</td><td>{{lastSeen}}</td><td>{{count}}</td><td>{{incidentLabel}}</td></tr>
        {{/alarms}}
        </table>
        {{/isDigest}}
        <p style="color: #666; font-size: 12px;">ECC notification {{id}} ({{kind}}, {{createdAt}})</p>
        </body></html>

        """

    /// `CRIT core1: Interface Gi0/1 down (inc #12 P1)`; `OK core1: …` when resolved.
    package static let sms = """
        {{#isDigest}}ECC DIGEST: {{heldCount}} notifications held for {{receiver}}{{/isDigest}}\
        {{^isDigest}}{{smsTag}} {{#firstAlarm}}{{#hasHost}}{{host}}: {{/hasHost}}{{summary}}\
        {{#hasIncident}} (inc #{{incident}} P{{priority}}){{/hasIncident}}{{/firstAlarm}}\
        {{^hasAlarms}}ECC {{kind}} message for {{receiver}}{{/hasAlarms}}{{#hasMore}} +{{moreCount}} more{{/hasMore}}\
        {{/isDigest}}
        """
}

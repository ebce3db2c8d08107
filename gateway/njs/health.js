// GET /api/health: every service's /readyz, asked in parallel, folded into one answer.
import problem from 'problem.js';

var SERVICES = ['auth', 'stats', 'ingest', 'analytics'];

function summarise(reply) {
    var parsed = null;
    try {
        parsed = JSON.parse(reply.responseText || 'null');
    } catch (e) {
        parsed = null;
    }
    var ok = reply.status === 200;
    var entry = { status: ok ? 'ok' : 'down', http_status: reply.status };
    if (parsed && parsed.checks) {
        entry.checks = parsed.checks;
    }
    if (!ok && parsed && parsed.detail) {
        entry.detail = parsed.detail;
    }
    return entry;
}

async function aggregate(r) {
    var replies = await Promise.all(SERVICES.map(function (name) {
        return r.subrequest('/_health/' + name).catch(function () { return { status: 502 }; });
    }));
    var services = {};
    var down = [];
    SERVICES.forEach(function (name, i) {
        services[name] = summarise(replies[i]);
        if (services[name].status !== 'ok') {
            down.push(name);
        }
    });
    var answer = { status: 'ok', services: services };
    var status = 200;
    r.headersOut['Content-Type'] = 'application/json';
    if (down.length) {
        // Not healthy: a problem document (its status is the HTTP status) with the same details.
        status = 503;
        answer = problem.body(r, 503, 'Not ready: ' + down.join(', '));
        answer.services = services;
        r.headersOut['Content-Type'] = 'application/problem+json';
    }
    r.headersOut['Cache-Control'] = 'no-store';
    r.return(status, JSON.stringify(answer));
}

export default { aggregate };

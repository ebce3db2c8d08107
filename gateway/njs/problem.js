// The gateway's own error answers, in the platform's one error format (RFC 9457 problem+json).

var TITLES = {
    404: ['not-found', 'Not found'],
    502: ['bad-gateway', 'Bad gateway'],
    503: ['service-unavailable', 'Service unavailable'],
    504: ['gateway-timeout', 'Gateway timeout'],
};

var DETAILS = {
    404: 'No API route matches this path.',
    502: 'The service behind this route is down or refused the connection.',
    503: 'The service behind this route is not available.',
    504: 'The service behind this route did not answer in time.',
};

function requestPath(r) {
    return r.variables.request_uri.split('?')[0];
}

function body(r, status, detail) {
    var names = TITLES[status];
    return {
        type: '/problems/' + names[0],
        code: names[0],
        title: names[1],
        status: status,
        detail: detail || DETAILS[status],
        instance: requestPath(r),
        request_id: r.variables.chiiki_request_id,
    };
}

function send(r, status, detail) {
    r.headersOut['Content-Type'] = 'application/problem+json';
    r.return(status, JSON.stringify(body(r, status, detail)));
}

function notFound(r) { send(r, 404); }
function badGateway(r) { send(r, 502); }
function unavailable(r) { send(r, 503); }
function gatewayTimeout(r) { send(r, 504); }

export default { body, send, notFound, badGateway, unavailable, gatewayTimeout };

// The gateway's own error answers, in the platform's one error format (RFC 9457 problem+json).

var TITLES = {
    401: ['authentication-required', 'Authentication required'],
    403: ['forbidden', 'Forbidden'],
    404: ['not-found', 'Not found'],
    502: ['bad-gateway', 'Bad gateway'],
    503: ['service-unavailable', 'Service unavailable'],
    504: ['gateway-timeout', 'Gateway timeout'],
};

var DETAILS = {
    401: 'An access token is required (Authorization: Bearer <token>)',
    403: 'This action needs the admin role',
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

// 401 and 403 from the token check: the auth service's verdict (code, detail and challenge),
// or, when no token was sent at all, the gateway's own.
function authError(r, status) {
    var v = r.variables;
    var answer = body(r, status, v.chiiki_auth_detail || undefined);
    if (v.chiiki_auth_code) {
        answer.code = v.chiiki_auth_code;
        answer.type = '/problems/' + v.chiiki_auth_code;
        if (v.chiiki_auth_code === 'invalid-token') {
            answer.title = 'Invalid access token';
        }
    }
    var challenge = v.chiiki_auth_challenge;
    if (!challenge) {
        challenge = status === 401
            ? 'Bearer realm="chiiki", error_description="' + DETAILS[401] + '"'
            : 'Bearer realm="chiiki", error="insufficient_scope", error_description="'
                + DETAILS[403] + '"';
    }
    r.headersOut['WWW-Authenticate'] = challenge;
    r.headersOut['Content-Type'] = 'application/problem+json';
    r.headersOut['Cache-Control'] = 'no-store';
    r.return(status, JSON.stringify(answer));
}

function unauthorized(r) { authError(r, 401); }
function forbidden(r) { authError(r, 403); }

function authUnavailable(r) {
    send(r, 503, 'The access token cannot be checked: the auth service is not available.');
}

function notFound(r) { send(r, 404); }
function badGateway(r) { send(r, 502); }
function unavailable(r) { send(r, 503); }
function gatewayTimeout(r) { send(r, 504); }

export default {
    body, send, notFound, badGateway, unavailable, gatewayTimeout, unauthorized, forbidden,
    authUnavailable,
};

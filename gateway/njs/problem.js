// The gateway's own error answers, in the platform's one error format (RFC 9457 problem+json).

var TITLES = {
    400: ['bad-request', 'Bad request'],
    401: ['authentication-required', 'Authentication required'],
    403: ['forbidden', 'Forbidden'],
    404: ['not-found', 'Not found'],
    405: ['method-not-allowed', 'Method not allowed'],
    408: ['request-timeout', 'Request timeout'],
    411: ['length-required', 'Length required'],
    413: ['body-too-large', 'Request body too large'],
    414: ['uri-too-long', 'URI too long'],
    494: ['headers-too-large', 'Request headers too large'],
    500: ['internal-error', 'Internal error'],
    501: ['not-implemented', 'Not implemented'],
    502: ['bad-gateway', 'Bad gateway'],
    503: ['service-unavailable', 'Service unavailable'],
    504: ['gateway-timeout', 'Gateway timeout'],
    505: ['http-version-not-supported', 'HTTP version not supported'],
};

var DETAILS = {
    400: 'The request is malformed.',
    401: 'An access token is required (Authorization: Bearer <token>)',
    403: 'This action needs the admin role',
    404: 'No API route matches this path.',
    405: 'This method is not allowed.',
    408: 'The request did not arrive in time.',
    411: 'This request needs a Content-Length.',
    413: 'The request body is larger than the gateway accepts.',
    414: 'The request URI is longer than the gateway accepts.',
    494: 'The request headers are larger than the gateway accepts.',
    500: 'The gateway failed to handle this request.',
    501: 'The gateway does not implement this.',
    502: 'The service behind this route is not available.',
    503: 'The service behind this route is not available.',
    504: 'The service behind this route did not answer in time.',
    505: 'Only HTTP/1.0 and HTTP/1.1 are served.',
};

function requestPath(r) {
    return (r.variables.request_uri || '').split('?')[0];
}

function body(r, status, detail) {
    var names = TITLES[status];
    return {
        type: '/problems/' + names[0],
        code: names[0],
        title: names[1],
        status: sentStatus(status),
        detail: detail || DETAILS[status],
        instance: requestPath(r),
        request_id: r.variables.chiiki_request_id,
    };
}

// 494 is nginx's own name for "request headers too large"; it goes out as a 400.
function sentStatus(status) {
    return status === 494 ? 400 : status;
}

function send(r, status, detail) {
    r.headersOut['Content-Type'] = 'application/problem+json';
    r.return(sentStatus(status), JSON.stringify(body(r, status, detail)));
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

// Why the token could not be checked: auth could not be reached (502), was too slow (504), or
// answered with an error of its own (its detail, e.g. that Redis cannot be reached).
function authUnavailable(r) {
    var v = r.variables;
    var upstream = (v.chiiki_auth_status || '').split(/[ ,:]+/).pop();
    var cause = 'the auth service is not available.';
    if (upstream === '504') {
        cause = 'the auth service did not answer in time.';
    } else if (upstream && upstream !== '502') {
        cause = 'the auth service answered ' + upstream
            + (v.chiiki_auth_detail ? ': ' + v.chiiki_auth_detail : '.');
    }
    send(r, 503, 'The access token cannot be checked: ' + cause);
}

function notFound(r) { send(r, 404); }

// A path of the dashboard with no file (a hashed asset of another build, say) and no fallback.
var NOT_IN_DASHBOARD = 'The dashboard has no file at this path.';

// The dashboard's paths when FRONTEND_DIST holds no build (no index.html): never cached, so
// the app shows as soon as it is built.
function frontendNotBuilt(r) {
    var answer = body(r, 503, 'The dashboard is not built: `make up` builds it '
        + '(npm --prefix frontend ci && npm --prefix frontend run build), '
        + 'or set FRONTEND_DIST to a folder holding a build.');
    answer.code = 'frontend-not-built';
    answer.type = '/problems/frontend-not-built';
    answer.title = 'Frontend not built';
    r.headersOut['Content-Type'] = 'application/problem+json';
    r.headersOut['Cache-Control'] = 'no-store';
    r.return(503, JSON.stringify(answer));
}

// The service a failed proxying was for, as the location named it ($chiiki_service).
function serviceDetail(r, status) {
    var service = r.variables.chiiki_service;
    if (!service) {
        return undefined;
    }
    if (status === 504) {
        return 'The ' + service + ' service did not answer in time.';
    }
    return 'The ' + service + ' service is not available.';
}

// Every error nginx itself raises, sent to /_errors/<status> by error_page.
function gatewayError(r) {
    var status = Number(r.uri.split('/').pop());
    var detail = status >= 502 && status <= 504 ? serviceDetail(r, status) : undefined;
    if (status === 404 && requestPath(r).indexOf('/api/') !== 0) {
        detail = NOT_IN_DASHBOARD;
    }
    if (status === 405 || status === 501) {
        r.headersOut.Allow = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
    }
    send(r, status, detail);
}

export default {
    body, send, notFound, gatewayError, unauthorized, forbidden, authUnavailable,
    frontendNotBuilt,
};

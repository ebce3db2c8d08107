// Token checks at the gateway: the key the auth_request cache files a verification under.
import crypto from 'crypto';

// A SHA-256 of the Authorization header: cache entries never hold the token itself.
function tokenDigest(r) {
    var header = r.headersIn.Authorization || '';
    return crypto.createHash('sha256').update(header).digest('base64url');
}

export default { tokenDigest };

export { createProxy, type Proxy, type ProxyDeps, type TokenSource, type TokenSubject } from './proxy-route.js'
export { createUpstreamClient, type UpstreamClient, type UpstreamClientOptions, type UpstreamRequest } from './upstream-client.js'
export { withDirectResponses } from './direct-response.js'

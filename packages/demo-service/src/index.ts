export { startDemoService, type DemoServiceOptions } from './start.js'
export { verifiedHeader, type VerifiedHeader } from './verified-header.js'

/** The claims of an access token, as both formats carry them (times in seconds since the epoch). */
export interface AccessClaims {
  iss: string
  aud: string
  sub: string
  sid: string
  roles: string[]
  client_id: string
  jti: string
  iat: number
  exp: number
}

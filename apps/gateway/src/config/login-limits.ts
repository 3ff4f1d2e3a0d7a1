import { ConfigError } from '../errors.js'
import { loginLimits, type LoginLimits } from '../auth/login-limiter.js'

export interface LoginLimitSettings {
  GATEHOUSE_LOGIN_WINDOW: number
  GATEHOUSE_LOGIN_CLIENT_FAILURES: number
  GATEHOUSE_LOGIN_ADDRESS_FAILURES: number
  GATEHOUSE_LOGIN_ACCOUNT_FAILURES: number
  GATEHOUSE_LOGIN_LOCKOUT: number
  GATEHOUSE_LOGIN_MAX_LOCKOUT: number
  GATEHOUSE_LOGIN_ACCOUNT_DELAY: number
  GATEHOUSE_LOGIN_ACCOUNT_MAX_DELAY: number
}

/** The three login limits from their variables, checked against each other once at start-up. */
export function parseLoginLimits(e: LoginLimitSettings): LoginLimits {
  if (e.GATEHOUSE_LOGIN_ADDRESS_FAILURES < e.GATEHOUSE_LOGIN_CLIENT_FAILURES) {
    throw new ConfigError('GATEHOUSE_LOGIN_ADDRESS_FAILURES', 'must be at least GATEHOUSE_LOGIN_CLIENT_FAILURES')
  }
  if (e.GATEHOUSE_LOGIN_ACCOUNT_FAILURES < e.GATEHOUSE_LOGIN_CLIENT_FAILURES) {
    // Else a guesser elsewhere would slow the account down before any one address is locked.
    throw new ConfigError('GATEHOUSE_LOGIN_ACCOUNT_FAILURES', 'must be at least GATEHOUSE_LOGIN_CLIENT_FAILURES')
  }
  if (e.GATEHOUSE_LOGIN_MAX_LOCKOUT < e.GATEHOUSE_LOGIN_LOCKOUT) {
    throw new ConfigError('GATEHOUSE_LOGIN_MAX_LOCKOUT', 'must be at least GATEHOUSE_LOGIN_LOCKOUT')
  }
  if (e.GATEHOUSE_LOGIN_ACCOUNT_MAX_DELAY < e.GATEHOUSE_LOGIN_ACCOUNT_DELAY) {
    throw new ConfigError('GATEHOUSE_LOGIN_ACCOUNT_MAX_DELAY', 'must be at least GATEHOUSE_LOGIN_ACCOUNT_DELAY')
  }
  return loginLimits({
    windowS: e.GATEHOUSE_LOGIN_WINDOW,
    clientFailures: e.GATEHOUSE_LOGIN_CLIENT_FAILURES,
    addressFailures: e.GATEHOUSE_LOGIN_ADDRESS_FAILURES,
    accountFailures: e.GATEHOUSE_LOGIN_ACCOUNT_FAILURES,
    lockoutS: e.GATEHOUSE_LOGIN_LOCKOUT,
    maxLockoutS: e.GATEHOUSE_LOGIN_MAX_LOCKOUT,
    accountDelayS: e.GATEHOUSE_LOGIN_ACCOUNT_DELAY,
    maxAccountDelayS: e.GATEHOUSE_LOGIN_ACCOUNT_MAX_DELAY,
  })
}

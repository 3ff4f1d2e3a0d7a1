import { pino, type DestinationStream, type Logger } from 'pino'

/**
 * Structured JSON logs. What we log is chosen field by field (never whole requests or headers);
 * the redaction below is the second line, for anything that slips into an error object.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'gatehouse' },
      redact: {
        paths: [
          'password',
          '*.password',
          '*.currentPassword',
          '*.newPassword',
          'cookie',
          '*.cookie',
          'authorization',
          '*.authorization',
          'headers.cookie',
          'headers.authorization',
          '*.headers.cookie',
          '*.headers.authorization',
          'token',
          '*.token',
          'credential',
          '*.credential',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  )
}

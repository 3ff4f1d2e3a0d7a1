/**
 * Passwords too common to allow (NIST SP 800-63B 3.1.1.2: refuse values known to be commonly
 * used, expected or compromised). A small bundled list of the most frequent ones in public breach
 * corpora that pass the length rule, compared case-insensitively; shorter ones fail on length.
 */
const COMMON = `
password 12345678 123456789 1234567890 12345678910 qwertyuiop 11111111 00000000 88888888 iloveyou
password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword pa55word password!
password1! 1q2w3e4r 1q2w3e4r5t 1qaz2wsx zaq12wsx q1w2e3r4 q1w2e3r4t5 qwerty123 qwerty12 qwer1234
1234qwer 123qweasd qweasdzxc qazwsxedc asdfghjk asdfghjkl zxcvbnm1 zxcvbnm123 123123123 12341234
11223344 12344321 87654321 987654321 147258369 789456123 123456abc abc12345 abcd1234 aa123456
a1b2c3d4 sunshine princess football baseball basketball welcome1 welcome123 superman batman123
trustno1 starwars whatever dragon123 letmein1 letmein123 michelle jennifer jordan23 computer
internet master123 charlie1 shadow12 monkey123 liverpool chocolate samsung1 admin123 administrator
changeme changeme123 default1 pass1234 test1234 testtest iloveyou1 hello123 helloworld blink182
qwertyui 1234abcd passpass secret123 mypassword letmein! 123456789a 0987654321 1111111111
`
  .trim()
  .split(/\s+/)

const SET: ReadonlySet<string> = new Set(COMMON)

/** True when the password is on the list, or is a word of this context (the username, the product). */
export function isCommonPassword(password: string, context: string[] = []): boolean {
  const lower = password.toLowerCase()
  return SET.has(lower) || lower === 'gatehouse' || context.some((word) => word !== '' && lower === word.toLowerCase())
}

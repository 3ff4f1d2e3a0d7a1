import { describe, expect, it } from 'vitest'
import { readCookie } from '../src/http/read-cookie.js'

describe('readCookie', () => {
  it.each([
    ['gatehouse=abc', 'abc'],
    ['a=1; gatehouse=Fe26.2*1*x~2; b=2', 'Fe26.2*1*x~2'],
    ['a=1;gatehouse=abc', 'abc'],
    ['xgatehouse=evil; gatehouse=good', 'good'],
    ['gatehouse-other=evil; gatehouse=good', 'good'],
    ['gatehouse="quoted"', 'quoted'],
    ['a=gatehouse=evil', undefined],
    ['theme=dark gatehouse=planted', undefined],
    ['theme=dark, gatehouse=planted', undefined],
    ['theme=dark,gatehouse=planted; gatehouse=real', 'real'],
    ['theme="x gatehouse=planted"; gatehouse=real', 'real'],
    ['  gatehouse=spaced  ;x=1', 'spaced'],
    ['gatehouse=first; gatehouse=second', 'first'],
    ['gatehouse=', ''],
    ['gatehouse', undefined],
    [';;gatehouse=after-empty-pairs', 'after-empty-pairs'],
    ['other=1', undefined],
    ['', undefined],
  ])('%s -> %s', (header, value) => {
    expect(readCookie(header, 'gatehouse')).toBe(value)
  })
  it('finds the __Host- name and no header at all', () => {
    expect(readCookie('__Host-gatehouse=v; gatehouse=w', '__Host-gatehouse')).toBe('v')
    expect(readCookie(undefined, 'gatehouse')).toBeUndefined()
  })
})

import { checkUrl, embeddedIPv4, isPrivateAddress } from './ssrf-guard';

describe('SSRF guard', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.254',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::192.168.0.1',
    '::127.0.0.1',
  ])('refuses %s', (ip) => expect(isPrivateAddress(ip)).toBe(true));

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'allows public %s',
    (ip) => expect(isPrivateAddress(ip)).toBe(false),
  );

  it('reads IPv4 addresses embedded in IPv6', () => {
    expect(embeddedIPv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIPv4('::ffff:192.168.0.1')).toBe('192.168.0.1');
    expect(embeddedIPv4('2001:db8::1')).toBeUndefined();
  });

  it('checks every resolved address, so one private record is enough to refuse', async () => {
    const resolve = async () => ['93.184.216.34', '10.0.0.5'];
    await expect(checkUrl('https://mixed.example/x', [], resolve)).rejects.toThrow(/private/);
    await expect(checkUrl('https://public.example/x', [], async () => ['93.184.216.34'])).resolves.toMatchObject({
      address: '93.184.216.34',
    });
  });

  it('refuses other schemes, credentials in URLs and loopback literals unless the host:port is allow-listed', async () => {
    await expect(checkUrl('file:///etc/passwd', [])).rejects.toThrow(/only http/);
    await expect(checkUrl('http://user:pw@example.com/', [])).rejects.toThrow(/credentials/);
    await expect(checkUrl('http://127.0.0.1:8080/feed', [])).rejects.toThrow(/refused/);
    await expect(checkUrl('http://[::1]:8080/feed', [])).rejects.toThrow(/refused/);
    await expect(checkUrl('http://127.0.0.1:8080/feed', ['127.0.0.1:8081'])).rejects.toThrow(/refused/);
    await expect(checkUrl('http://127.0.0.1:8080/feed', ['127.0.0.1:8080'])).resolves.toMatchObject({
      address: '127.0.0.1',
    });
  });
});

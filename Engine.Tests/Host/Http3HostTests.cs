using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Engine.Hosting;
using Engine.Hosting.Http3;
using Engine.Tests.Hosting;
using Engine.Tests.Transport.Quic.Interop;
using Engine.Transport.Quic;
using Engine.Transport.Tls;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Host;

/// <summary>
/// The engine host serving HTTP/3 on UDP at its HTTPS port, checked with ngtcp2's gtlsclient
/// (Debian ngtcp2-client) against what HTTPS on TCP serves for the same paths.
/// </summary>
public sealed class Http3HostTests
{
    private static readonly string[] NoDump = ["--exit-on-all-streams-close", "--timeout=20s", "--no-quic-dump"];

    [Fact]
    public async Task GtlsClient_FetchesIndexAndTenMegabytes_BytesIdenticalToHttps()
    {
        using var content = new TemporaryDirectory();
        byte[] page = Encoding.UTF8.GetBytes("<!doctype html><title>Engine</title><p>same over HTTPS and HTTP/3</p>\n");
        byte[] big = RandomNumberGenerator.GetBytes(10 * 1024 * 1024);
        await File.WriteAllBytesAsync(content.Combine("index.html"), page, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(content.Combine("big.bin"), big, TestContext.Current.CancellationToken);
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.ContentRoot = content.Path);
        int port = host.BaseAddress.Port;
        using HttpClient https = host.CreateHttpClient();

        using HttpResponseMessage index = await https.GetAsync("/", TestContext.Current.CancellationToken);
        byte[] httpsIndex = await index.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        byte[] httpsBig = await https.GetByteArrayAsync("/big.bin", TestContext.Current.CancellationToken);
        using var downloads = new TemporaryDirectory();
        using NgtcpProcess client = Fetch(port, $"--download={downloads.Path} --no-http-dump", "/", "/big.bin"); // dumping 10 MB of hex would take a minute
        Assert.True(client.WaitForExit(TimeSpan.FromSeconds(60)), $"gtlsclient did not finish:\n{client.Output}");
        using NgtcpProcess status = Fetch(port, string.Empty, "/");

        Assert.True(status.WaitForExit(TimeSpan.FromSeconds(30)), $"gtlsclient did not finish:\n{status.Output}");
        // SocketsHttpHandler parses Alt-Svc itself and shows only the alternative, so check that part.
        Assert.StartsWith($"h3=\":{port}\"", index.Headers.NonValidated["Alt-Svc"].ToString(), StringComparison.Ordinal);
        Assert.Equal(page, httpsIndex);
        Assert.Equal(httpsIndex, await File.ReadAllBytesAsync(downloads.Combine("index.html"), TestContext.Current.CancellationToken));
        byte[] h3Big = await File.ReadAllBytesAsync(downloads.Combine("big.bin"), TestContext.Current.CancellationToken);
        Assert.Equal(SHA256.HashData(httpsBig), SHA256.HashData(h3Big));
        Assert.Equal(SHA256.HashData(big), SHA256.HashData(h3Big));
        Assert.True(status.Printed("[:status: 200]"), status.Output);
        AssertNoInternalErrors(host);
    }

    [Fact]
    public async Task GtlsClient_FortyParallelRequests_AllServedOverOneConnection()
    {
        using var content = new TemporaryDirectory();
        await File.WriteAllTextAsync(content.Combine("index.html"), "multiplexed\n", TestContext.Current.CancellationToken);
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.ContentRoot = content.Path);
        using NgtcpProcess client = Fetch(host.BaseAddress.Port, "-n 40 --no-http-dump", "/index.html");

        Assert.True(client.WaitForExit(TimeSpan.FromSeconds(60)), $"gtlsclient did not finish:\n{client.Output}");
        EngineServer server = host.Services.GetRequiredService<EngineServer>();
        Assert.Equal(40, server.Http3Servers.Sum(s => s.Driver.Invoke((_, _) => s.RequestsServed)));
        AssertNoInternalErrors(host);
    }

    [Theory]
    [InlineData("/missing.txt", 404)]
    [InlineData("/ws", 400)]
    [InlineData("/healthz", 200)]
    public async Task GtlsClient_RequestsTheHostAnswersLikeHttps_SameStatus(string path, int status)
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        using HttpClient https = host.CreateHttpClient();
        using HttpResponseMessage expected = await https.GetAsync(path, TestContext.Current.CancellationToken);
        using NgtcpProcess client = Fetch(host.BaseAddress.Port, string.Empty, path);

        Assert.True(client.WaitForExit(TimeSpan.FromSeconds(30)), $"gtlsclient did not finish:\n{client.Output}");
        Assert.Equal(status, (int)expected.StatusCode);
        Assert.True(client.Printed($"[:status: {status}]"), client.Output);
    }

    [Fact]
    public async Task GarbageTruncatedAndReplayedDatagrams_DuringDownload_DownloadIntactAndHostServes()
    {
        using var content = new TemporaryDirectory();
        byte[] big = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        await File.WriteAllBytesAsync(content.Combine("big.bin"), big, TestContext.Current.CancellationToken);
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.ContentRoot = content.Path);
        int port = host.BaseAddress.Port;
        EngineServer server = host.Services.GetRequiredService<EngineServer>();
        using var downloads = new TemporaryDirectory();
        using NgtcpProcess client = Fetch(port, $"--download={downloads.Path} --no-http-dump", "/big.bin");

        // Bad datagrams for as long as the download runs (at least 6,000), so the two overlap
        // however the machine schedules them. The kernel may drop any of them (UDP on a loaded
        // machine), so what is required is that the host handled some, not all.
        (int sent, long handled) = await SendBadDatagramsWhileAsync(
            new IPEndPoint(IPAddress.Loopback, port), () => !client.WaitForExit(TimeSpan.Zero), minimum: 6000, () => BadDatagramsHandled(server));

        Assert.True(client.WaitForExit(TimeSpan.FromSeconds(60)), $"gtlsclient did not finish:\n{client.Output}");
        Assert.Equal(SHA256.HashData(big), SHA256.HashData(await File.ReadAllBytesAsync(downloads.Combine("big.bin"), TestContext.Current.CancellationToken)));
        Assert.True(handled > 0, $"none of the {sent} bad datagrams was handled (dropped or answered with version negotiation) by the host");
        using HttpClient https = host.CreateHttpClient();
        Assert.Equal(HttpStatusCode.OK, (await https.GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);
        using NgtcpProcess after = Fetch(port, string.Empty, "/healthz");
        Assert.True(after.WaitForExit(TimeSpan.FromSeconds(30)), $"gtlsclient did not finish:\n{after.Output}");
        Assert.True(after.Printed("[:status: 200]"), after.Output);
        AssertNoInternalErrors(host);
    }

    [Fact]
    public async Task Chromium_ForcedOntoQuic_LoadsThePageOverHttp3()
    {
        using var content = new TemporaryDirectory();
        await File.WriteAllTextAsync(content.Combine("index.html"), "<!doctype html><title>h3</title><p id=marker>served-by-engine-over-quic</p>\n", TestContext.Current.CancellationToken);
        await using EngineTestHost host = await EngineTestHost.StartAsync(o => o.ContentRoot = content.Path);
        int port = host.BaseAddress.Port;
        string spki = host.Services.GetRequiredService<ServerCertificateSource>().DevelopmentHashes!.SpkiSha256;
        using var profile = new TemporaryDirectory();
        using NgtcpProcess chromium = NgtcpProcess.Start(
            "/usr/bin/chromium",
            $"--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync " +
            $"--user-data-dir={profile.Path} --origin-to-force-quic-on=127.0.0.1:{port} --ignore-certificate-errors-spki-list={spki} " +
            $"--dump-dom https://127.0.0.1:{port}/index.html");

        Assert.True(chromium.WaitForExit(TimeSpan.FromSeconds(60)), $"chromium did not finish:\n{chromium.Output}");
        Assert.True(chromium.Printed("served-by-engine-over-quic"), chromium.Output);
        EngineServer server = host.Services.GetRequiredService<EngineServer>();
        Assert.True(server.Http3Servers.Sum(s => s.Driver.Invoke((_, _) => s.RequestsServed)) >= 1, "Chromium's request reached the HTTP/3 server");
        AssertNoInternalErrors(host);
    }

    private static NgtcpProcess Fetch(int port, string options, params string[] paths) =>
        NgtcpProcess.Start(
            "/usr/bin/gtlsclient",
            $"{string.Join(' ', NoDump)} {options} 127.0.0.1 {port} {string.Join(' ', paths.Select(p => $"https://127.0.0.1:{port}{p}"))}");

    private static void AssertNoInternalErrors(EngineTestHost host)
    {
        EngineServer server = host.Services.GetRequiredService<EngineServer>();
        Assert.NotEmpty(server.Http3Servers);
        Assert.All(server.Http3Servers, s =>
        {
            Assert.Null(s.Driver.Failure);
            Assert.Equal(0, s.Driver.Endpoint.InternalErrors);
        });
    }

    /// <summary>Datagrams the HTTP/3 endpoints refused or answered statelessly: what garbage produces (a download produces next to none).</summary>
    private static long BadDatagramsHandled(EngineServer server) =>
        server.Http3Servers.Sum(s => s.Driver.Invoke((endpoint, _) => endpoint.DatagramsDropped + endpoint.VersionNegotiationsSent));

    /// <summary>
    /// Random bytes, Initial-shaped datagrams with random connection IDs, truncated copies of a
    /// genuine client Initial, and that Initial replayed whole: every kind a hostile or broken
    /// network sends. Sends in rounds of 200 while <paramref name="keepGoing"/> holds, at least
    /// <paramref name="minimum"/>, and until <paramref name="handled"/> reports the host saw some
    /// (within 60 s). Returns how many were sent and the last <paramref name="handled"/> count.
    /// </summary>
    private static async Task<(int Sent, long Handled)> SendBadDatagramsWhileAsync(IPEndPoint target, Func<bool> keepGoing, int minimum, Func<long> handled)
    {
        var random = new Random(5);
        byte[] initial = GenuineInitial(target);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        int sent = 0;
        long seen = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(60) && (sent < minimum || keepGoing() || seen == 0))
        {
            for (int i = 0; i < 200; i++, sent++)
            {
                byte[] datagram = (sent % 4) switch
                {
                    0 => RandomBytes(random, random.Next(1, 1500)),
                    1 => InitialShaped(random),
                    2 => initial[..random.Next(1, initial.Length)],
                    _ => initial,
                };
                await socket.SendToAsync(datagram, SocketFlags.None, target);
            }

            await Task.Delay(1, TestContext.Current.CancellationToken);
            seen = handled();
        }

        return (sent, seen);
    }

    private static byte[] GenuineInitial(IPEndPoint target)
    {
        var options = new QuicClientOptions
        {
            Tls = new TlsClientOptions { ApplicationProtocols = ["h3"], ServerCertificateHashes = [new byte[32]] },
        };
        using QuicConnectionCore connection = QuicConnectionCore.CreateClient(options, target, TimeSpan.Zero);
        byte[] buffer = new byte[1500];
        int length = connection.PollTransmit(TimeSpan.Zero, buffer);
        return buffer[..length];
    }

    private static byte[] InitialShaped(Random random)
    {
        byte[] datagram = RandomBytes(random, 1200);
        datagram[0] = 0xC3;
        datagram[1] = 0;
        datagram[2] = 0;
        datagram[3] = 0;
        datagram[4] = 1;
        datagram[5] = 8;
        return datagram;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}

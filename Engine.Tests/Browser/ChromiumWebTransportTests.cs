using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Engine.Tests.Transport.WebTransport;
using Engine.Transport.WebTransport;
using Microsoft.Playwright;

namespace Engine.Tests.Browser;

/// <summary>
/// Real headless Chromium (Debian's, driven by Playwright, no command-line flags for QUIC or
/// certificates) opens a WebTransport session to Engine's server from a page served over plain
/// http://127.0.0.1 (a secure context), trusting the server by serverCertificateHashes alone.
/// Chromium's net-log is kept and its WebTransport events are reported when a test fails.
/// </summary>
public class ChromiumWebTransportTests
{
    private const string ChromiumPath = "/usr/bin/chromium";

    private const string Page = """
        <!doctype html><meta charset="utf-8"><title>wt</title>
        <script>
        window.openSession = async (url, hash) => {
          const value = Uint8Array.from(atob(hash), c => c.charCodeAt(0));
          const wt = new WebTransport(url, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] });
          window.wt = wt;
          window.closedInfo = null;
          wt.closed.then(info => { window.closedInfo = { code: info.closeCode, reason: info.reason }; },
                         error => { window.closedInfo = { error: String(error) }; });
          await wt.ready;
          return true;
        };
        window.readAll = async (readable) => {
          const reader = readable.getReader(); const parts = [];
          for (;;) { const { value, done } = await reader.read(); if (done) break; parts.push(...value); }
          return new TextDecoder().decode(new Uint8Array(parts));
        };
        window.bidiEcho = async (text) => {
          const stream = await window.wt.createBidirectionalStream();
          const writer = stream.writable.getWriter();
          await writer.write(new TextEncoder().encode(text)); await writer.close();
          return await window.readAll(stream.readable);
        };
        window.uniRoundTrip = async (text) => {
          const incoming = window.wt.incomingUnidirectionalStreams.getReader();
          const out = await window.wt.createUnidirectionalStream();
          const writer = out.getWriter();
          await writer.write(new TextEncoder().encode(text)); await writer.close();
          const { value } = await incoming.read();
          return await window.readAll(value);
        };
        window.datagramEcho = async () => {
          const writer = window.wt.datagrams.writable.getWriter();
          const reader = window.wt.datagrams.readable.getReader();
          const got = reader.read();
          for (let i = 0; i < 100; i++) {
            await writer.write(new Uint8Array([7, 7, i]));
            const r = await Promise.race([got, new Promise(res => setTimeout(() => res(null), 100))]);
            if (r) { writer.releaseLock(); reader.releaseLock(); return Array.from(r.value); }
          }
          return null;
        };
        </script>
        """;

    [Fact]
    public async Task Chromium_WebTransportWithCertificateHash_StreamsDatagramsAndCloseBothWays()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: scripts/test.sh installs the Debian package 'chromium'.");
        using var server = new WebTransportEchoServer();
        using var pageServer = new StaticPage(Page);
        string netLog = Path.Combine(Path.GetTempPath(), $"engine-wt-netlog-{Guid.NewGuid():N}.json");
        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--log-net-log=" + netLog, "--net-log-capture-mode=Everything"],
        });
        try
        {
            IPage page = await browser.NewPageAsync();
            await page.GotoAsync(pageServer.Url);
            string hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(server.Certificate.RawData));
            Assert.True(await page.EvaluateAsync<bool>("([u, h]) => window.openSession(u, h)", new[] { server.Uri.ToString(), hash }));
            WebTransportSession serverSide = await server.WaitForSessionAsync();
            Assert.Contains(serverSide.RequestHeaders, h => h.Key == "origin" && h.Value == pageServer.Origin);

            Assert.Equal("ping over a bidirectional stream", await page.EvaluateAsync<string>("t => window.bidiEcho(t)", "ping over a bidirectional stream"));
            Assert.Equal("one way and back", await page.EvaluateAsync<string>("t => window.uniRoundTrip(t)", "one way and back"));
            int[]? echoed = await page.EvaluateAsync<int[]?>("() => window.datagramEcho()");
            Assert.NotNull(echoed);
            Assert.Equal([7, 7], echoed![..2]);

            // The server closes with a code and reason; the page sees both.
            await serverSide.CloseAsync(4004, "replaced");
            await page.WaitForFunctionAsync("() => window.closedInfo !== null", null, new PageWaitForFunctionOptions { Timeout = 20_000 });
            Assert.Equal("{\"code\":4004,\"reason\":\"replaced\"}", await page.EvaluateAsync<string>("() => JSON.stringify(window.closedInfo)"));

            // A second session; the page closes it with a code and reason; the server sees both.
            Assert.True(await page.EvaluateAsync<bool>("([u, h]) => window.openSession(u, h)", new[] { server.Uri.ToString(), hash }));
            WebTransportSession second = await server.WaitForSessionAsync(2);
            await page.EvaluateAsync("() => window.wt.close({ closeCode: 1001, reason: 'tab closed' })");
            await WebTransportEndToEndTests.WaitAsync(second.Closed);
            Assert.Equal(new WebTransportCloseInfo(1001, "tab closed", ByPeer: true), second.CloseInfo);
            await browser.CloseAsync();
            File.Delete(netLog); // kept only when something failed
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            await browser.CloseAsync();
            throw new InvalidOperationException("Chromium's WebTransport session failed; its net-log says:" + Environment.NewLine + NetLogDigest(netLog), exception);
        }
    }

    /// <summary>The WebTransport and QUIC session events of a net-log, for a failure message.</summary>
    internal static string NetLogDigest(string path)
    {
        if (!File.Exists(path))
        {
            return "(no net-log at " + path + ")";
        }

        string[] markers = ["WEBTRANSPORT", "QUIC_SESSION_CLOSE", "CONNECTION_CLOSE", "HTTP3_SETTINGS", "QUIC_SESSION_TRANSPORT_PARAMETERS"];
        string text = File.ReadAllText(path);
        var lines = new StringBuilder("net-log kept at " + path + Environment.NewLine);
        try
        {
            // Events carry numeric types; the log's constants name them.
            using JsonDocument log = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true });
            var names = new Dictionary<int, string>();
            foreach (JsonProperty type in log.RootElement.GetProperty("constants").GetProperty("logEventTypes").EnumerateObject())
            {
                names[type.Value.GetInt32()] = type.Name;
            }

            int shown = 0;
            foreach (JsonElement entry in log.RootElement.GetProperty("events").EnumerateArray())
            {
                if (!entry.TryGetProperty("type", out JsonElement type) || !names.TryGetValue(type.GetInt32(), out string? name)
                    || !markers.Any(m => name.Contains(m, StringComparison.Ordinal)))
                {
                    continue;
                }

                if (++shown > 80)
                {
                    lines.AppendLine("(more events in the file)");
                    break;
                }

                string parameters = entry.TryGetProperty("params", out JsonElement p) ? p.GetRawText() : "";
                string source = entry.TryGetProperty("source", out JsonElement s) && s.TryGetProperty("id", out JsonElement id) ? id.GetRawText() : "?";
                lines.AppendLine($"t={(entry.TryGetProperty("time", out JsonElement t) ? t.ToString() : "?")} source={source} {name} {parameters[..Math.Min(400, parameters.Length)]}");
            }

            if (shown == 0)
            {
                lines.AppendLine("(no WebTransport or QUIC session events)");
            }

            return lines.ToString();
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            lines.AppendLine("(not complete JSON: " + exception.Message + "; raw matches follow)");
        }

        foreach (string marker in markers)
        {
            int at = 0;
            for (int found = 0; found < 6 && (at = text.IndexOf(marker, at, StringComparison.Ordinal)) >= 0; found++, at += marker.Length)
            {
                lines.AppendLine(text.Substring(Math.Max(0, at - 40), Math.Min(400, text.Length - Math.Max(0, at - 40))).ReplaceLineEndings(" "));
            }
        }

        return lines.ToString();
    }

    /// <summary>One page over plain HTTP on 127.0.0.1 (a secure context for WebTransport).</summary>
    internal sealed class StaticPage : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly byte[] _body;

        public StaticPage(string html)
        {
            _body = Encoding.UTF8.GetBytes(html);
            int port = FreeTcpPort();
            Origin = $"http://127.0.0.1:{port}";
            Url = Origin + "/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = ServeAsync();
        }

        public string Origin { get; }

        public string Url { get; }

        public void Dispose() => _listener.Close();

        private static int FreeTcpPort()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.OutputStream.WriteAsync(_body);
                context.Response.Close();
            }
        }
    }
}

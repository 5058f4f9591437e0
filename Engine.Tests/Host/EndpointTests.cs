using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Engine.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Host;

public class EndpointTests
{
    [Fact]
    public async Task Healthz_Running_ReportsOkWithCounts()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient client = await host.JoinAsync("arena", "alice");
        using HttpClient http = host.CreateHttpClient();

        JsonElement health = await http.GetFromJsonAsync<JsonElement>("/healthz");

        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(1, health.GetProperty("rooms").GetInt32());
        Assert.Equal(1, health.GetProperty("connections").GetInt32());
    }

    [Fact]
    public async Task Metrics_AfterTraffic_PrometheusTextWithEngineMeters()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        await using TestClient client = await host.JoinAsync("arena", "alice");
        await client.ExpectAsync<Engine.Protocol.EntitySnapshotMessage>();
        using HttpClient http = host.CreateHttpClient();

        HttpResponseMessage response = await http.GetAsync("/metrics");
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("engine_connections{transport=\"websocket\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("engine_rooms 1", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE engine_tick_duration", text, StringComparison.Ordinal);
        Assert.Contains("engine_messages_received_total", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_FreshHost_EveryEngineInstrumentListedAtZero()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        IReadOnlyList<Instrument> instruments = EngineInstruments(host);
        using HttpClient http = host.CreateHttpClient();

        string text = await http.GetStringAsync("/metrics");

        Assert.NotEmpty(instruments);
        foreach (Instrument instrument in instruments)
        {
            Type kind = instrument.GetType().GetGenericTypeDefinition();
            string name = Regex.Replace(instrument.Name, "[^a-zA-Z0-9_:]", "_");
            string[] expected = kind switch
            {
                _ when kind == typeof(Counter<>) => [$"# TYPE {name}_total counter", $"{name}_total 0"],
                _ when kind == typeof(UpDownCounter<>) => [$"# TYPE {name} gauge", $"{name} 0"],
                _ when kind == typeof(Histogram<>) => [$"# TYPE {name} histogram", $"{name}_bucket{{le=\"+Inf\"}} 0", $"{name}_sum 0", $"{name}_count 0"],
                _ => throw new InvalidOperationException($"{instrument.Name} is a {kind.Name}: teach this test its Prometheus form."),
            };
            foreach (string line in expected)
            {
                Assert.Contains("\n" + line + "\n", "\n" + text, StringComparison.Ordinal);
            }
        }

        string[] samples = [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => !line.StartsWith('#'))];
        Assert.All(samples, sample => Assert.EndsWith(" 0", sample, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CertHash_Development_MatchesTheCertificateServedOverTls()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        X509Certificate2? served = null;
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    served = new X509Certificate2(certificate!);
                    return true;
                },
            },
        })
        { BaseAddress = host.BaseAddress };

        JsonElement hashes = await http.GetFromJsonAsync<JsonElement>("/cert-hash");

        Assert.NotNull(served);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(served.RawData)), hashes.GetProperty("sha256").GetString());
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(served.PublicKey.ExportSubjectPublicKeyInfo())), hashes.GetProperty("spkiSha256").GetString());
        Assert.True(served.NotAfter - served.NotBefore <= TimeSpan.FromDays(14));
        using (ECDsa? key = served.GetECDsaPublicKey())
        {
            Assert.Equal(256, key?.KeySize);
        }

        served.Dispose();
    }

    [Fact]
    public async Task Root_BrowserSample_ServedWithItsScripts()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        using HttpClient http = host.CreateHttpClient();

        string index = await http.GetStringAsync("/");
        HttpResponseMessage codec = await http.GetAsync("/protocol.generated.js");

        Assert.Contains("<canvas id=\"arena\"", index, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, codec.StatusCode);
    }

    /// <summary>Every instrument the host's own <c>Engine</c> meter publishes (not another host's in this process).</summary>
    private static List<Instrument> EngineInstruments(EngineTestHost host)
    {
        IMeterFactory factory = host.Services.GetRequiredService<IMeterFactory>();
        var instruments = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == EngineMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    instruments.Add(instrument);
                }
            },
        };
        listener.Start(); // reports the instruments already published, synchronously
        return instruments;
    }

    [Fact]
    public async Task Ws_PlainHttpGet_BadRequest()
    {
        await using EngineTestHost host = await EngineTestHost.StartAsync();
        using HttpClient http = host.CreateHttpClient();

        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/ws")).StatusCode);
    }
}

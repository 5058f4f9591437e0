using System.Net;
using System.Security.Cryptography.X509Certificates;
using Engine.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Engine.Tests.Hosting;

public sealed class DevelopmentCertificateProviderTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void GetCertificate_RepeatedCalls_ReturnsSameInstance()
    {
        using var provider = new DevelopmentCertificateProvider(_directory.Path, new ManualTimeProvider(Start));

        X509Certificate2 first = provider.GetCertificate();
        X509Certificate2 second = provider.GetCertificate();

        Assert.Same(first, second);
        Assert.Equal(CertificateHashes.Compute(first), provider.GetHashes());
    }

    [Fact]
    public void GetCertificate_IntoRenewalMargin_RenewsAndUpdatesHashes()
    {
        var time = new ManualTimeProvider(Start);
        var logger = new CollectingLogger<DevelopmentCertificateProvider>();
        using var provider = new DevelopmentCertificateProvider(_directory.Path, time, logger);
        X509Certificate2 first = provider.GetCertificate();
        CertificateHashes firstHashes = provider.GetHashes();
        time.Advance(TimeSpan.FromDays(9));
        X509Certificate2 beforeMargin = provider.GetCertificate();
        time.Advance(TimeSpan.FromDays(1));

        X509Certificate2 renewed = provider.GetCertificate();

        Assert.Same(first, beforeMargin);
        Assert.NotEqual(first.Thumbprint, renewed.Thumbprint);
        Assert.NotEqual(firstHashes, provider.GetHashes());
        Assert.Equal(CertificateHashes.Compute(renewed), provider.GetHashes());
        Assert.Equal([1100, 1101], logger.Entries.Where(entry => entry.Level >= LogLevel.Information).Select(entry => entry.EventId.Id));
    }

    [Fact]
    public async Task GetCertificate_ManyThreadsAtRenewal_AllGetOneNewCertificate()
    {
        var time = new ManualTimeProvider(Start);
        var logger = new CollectingLogger<DevelopmentCertificateProvider>();
        using var provider = new DevelopmentCertificateProvider(_directory.Path, time, logger);
        X509Certificate2 first = provider.GetCertificate();
        time.Advance(TimeSpan.FromDays(12));
        using var startTogether = new Barrier(4);

        X509Certificate2[] seen = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(
            () =>
            {
                startTogether.SignalAndWait(TestContext.Current.CancellationToken);
                return provider.GetCertificate();
            },
            TestContext.Current.CancellationToken,
            TaskCreationOptions.LongRunning, // own threads, so the barrier cannot starve the pool
            TaskScheduler.Default)));

        Assert.All(seen, certificate => Assert.Same(seen[0], certificate));
        Assert.NotEqual(first.Thumbprint, seen[0].Thumbprint);
        Assert.Single(logger.Entries, entry => entry.EventId.Id == 1101);
    }

    [Fact]
    public void GetCertificate_RenewalFailsBeforeExpiry_KeepsServingCurrentAndLogs()
    {
        var time = new ManualTimeProvider(Start);
        var logger = new CollectingLogger<DevelopmentCertificateProvider>();
        string dataDirectory = _directory.Combine("data");
        using var provider = new DevelopmentCertificateProvider(dataDirectory, time, logger);
        X509Certificate2 first = provider.GetCertificate();
        // A file where the directory should be makes renewal fail, even for root.
        Directory.Delete(dataDirectory, recursive: true);
        File.WriteAllText(dataDirectory, "in the way");
        time.Advance(TimeSpan.FromDays(11));

        X509Certificate2 stillServed = provider.GetCertificate();

        Assert.Same(first, stillServed);
        Assert.Single(logger.Entries, entry => entry.EventId.Id == 1103 && entry.Level == LogLevel.Error);
        Assert.Same(first, provider.GetCertificate()); // retried only after the delay, so no second error
        Assert.Single(logger.Entries, entry => entry.EventId.Id == 1103);
    }

    [Fact]
    public void GetCertificate_AfterDispose_Throws()
    {
        var provider = new DevelopmentCertificateProvider(_directory.Path, new ManualTimeProvider(Start));
        provider.Dispose();

        Assert.Throws<ObjectDisposedException>(() => provider.GetCertificate());
    }

    [Fact]
    public async Task SelectCertificate_KestrelHttps_HandshakePinnedBySha256Succeeds()
    {
        using var provider = new DevelopmentCertificateProvider(_directory.Path, TimeProvider.System);
        string pinnedSha256 = provider.GetHashes().Sha256;
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
            listen.UseHttps(https => https.ServerCertificateSelector = provider.SelectCertificate)));
        await using WebApplication app = builder.Build();
        app.MapGet("/", () => "hello over tls");
        await app.StartAsync(TestContext.Current.CancellationToken);

        int validations = 0;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                Interlocked.Increment(ref validations);
                return certificate is not null && CertificateHashes.Compute(certificate).Sha256 == pinnedSha256;
            },
        };
        using var client = new HttpClient(handler);
        using HttpResponseMessage response = await client.GetAsync(new Uri(app.Urls.Single()), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello over tls", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(1, validations);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}

using System.Net;
using System.Net.Security;
using System.Net.WebSockets;
using Engine.Cluster;
using Engine.Demo;
using Engine.Hosting;
using Engine.Rooms;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Engine.Tests.Host;

/// <summary>A real Engine host on a free loopback port, with its own data directory.</summary>
public sealed class EngineTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDir;

    private EngineTestHost(WebApplication app, string dataDir, Uri baseAddress)
    {
        _app = app;
        _dataDir = dataDir;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public Uri WebSocketUri => new($"wss://{BaseAddress.Authority}/ws");

    public IServiceProvider Services => _app.Services;

    public static Task<EngineTestHost> StartAsync(Action<EngineOptions>? configure = null, IClusterBus? bus = null, IRoomLeases? leases = null, IReadOnlyDictionary<string, string?>? settings = null) =>
        StartAsync<ArenaRoom>(configure, bus, leases, settings);

    /// <summary>
    /// Starts a host; with <paramref name="bus"/> it joins that cluster bus instead of its own
    /// in-process one, and with <paramref name="leases"/> it asks them which instance owns a room;
    /// <paramref name="settings"/> are configuration keys as in appsettings (e.g. <c>Engine:Nats:EventStore:MaxMessagesPerRoom</c>).
    /// </summary>
    public static async Task<EngineTestHost> StartAsync<TRoom>(Action<EngineOptions>? configure = null, IClusterBus? bus = null, IRoomLeases? leases = null, IReadOnlyDictionary<string, string?>? settings = null)
        where TRoom : Room, new()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "engine-tests", Guid.NewGuid().ToString("n"));
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new TestLogProvider(TestContext.Current.TestOutputHelper));
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        if (bus is not null)
        {
            builder.Services.AddSingleton(bus);
        }

        if (leases is not null)
        {
            builder.Services.AddSingleton(leases);
        }

        builder.AddEngine<TRoom>(o =>
        {
            o.Host = "127.0.0.1";
            o.Port = 0;
            o.DataDir = dataDir;
            configure?.Invoke(o);
        });
        WebApplication app = builder.Build();
        app.MapEngine();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EngineTestHost(app, dataDir, new Uri(address));
    }

    /// <summary>An HTTPS client that accepts the host's development certificate.</summary>
    public HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
    })
    { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Opens a raw WebSocket to /ws.</summary>
    public async Task<ClientWebSocket> ConnectRawAsync(string? origin = null, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        await socket.ConnectAsync(WebSocketUri, timeout.Token);
        return socket;
    }

    /// <summary>Connects a protocol client and completes hello.</summary>
    public async Task<TestClient> ConnectAsync(string? resumeToken = null, long lastSequence = 0)
    {
        var client = new TestClient(await ConnectRawAsync());
        await client.HelloAsync(resumeToken, lastSequence);
        return client;
    }

    /// <summary>Connects, says hello and joins <paramref name="room"/> as <paramref name="name"/>.</summary>
    public async Task<TestClient> JoinAsync(string room, string name, string? token = null)
    {
        TestClient client = await ConnectAsync();
        await client.JoinAsync(room, name, token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stop.Token);
        }

        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Writes host logs to the test's output (captured here: Kestrel's threads do not flow the test context).</summary>
    private sealed class TestLogProvider(ITestOutputHelper? output) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new TestLogger(categoryName, output);

        public void Dispose()
        {
        }

        private sealed class TestLogger(string category, ITestOutputHelper? output) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                try
                {
                    output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} [{logLevel}] {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
                }
                catch (InvalidOperationException)
                {
                    // The test already finished; late log lines have nowhere to go.
                }
            }
        }
    }
}

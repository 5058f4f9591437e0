using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Engine.Transport.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Engine.Tests.Transport.WebSockets;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with an OS-chosen port. Every WebSocket it accepts is
/// wrapped in a <see cref="WebSocketTransportSession"/> and handed to the test's server-side
/// behaviour; the session is disposed when the behaviour returns.
/// </summary>
internal sealed class WebSocketTestServer : IAsyncDisposable
{
    /// <summary>Generous bound for every wait, so a slow shared machine does not fail a test.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly Channel<WebSocketTransportSession> _sessions = Channel.CreateUnbounded<WebSocketTransportSession>();
    private readonly ConcurrentQueue<Exception> _behaviourFailures = new();
    private int _nextSessionNumber;

    private WebSocketTestServer(WebApplication app, Uri uri)
    {
        _app = app;
        Uri = uri;
    }

    /// <summary>The ws:// address to connect to.</summary>
    public Uri Uri { get; }

    /// <summary>Log lines written by the server's sessions.</summary>
    public ListLogger Log { get; } = new();

    public static async Task<WebSocketTestServer> StartAsync(
        WebSocketSessionOptions options, Func<WebSocketTransportSession, Task> behaviour)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.UseWebSockets();

        WebSocketTestServer? server = null;
        app.Run(context => server!.AcceptAsync(context, options, behaviour));
        await app.StartAsync(TestContext.Current.CancellationToken);

        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server = new WebSocketTestServer(app, new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/ws"));
        return server;
    }

    /// <summary>The next session the server accepted, in connection order.</summary>
    public async Task<WebSocketTransportSession> NextSessionAsync() =>
        await _sessions.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout);

    /// <summary>Connects a real client.</summary>
    public async Task<ClientWebSocket> ConnectAsync()
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(Uri, TestContext.Current.CancellationToken).WaitAsync(Timeout);
        return client;
    }

    /// <summary>Connects a client and returns it with its server-side session.</summary>
    public async Task<(ClientWebSocket Client, WebSocketTransportSession Session)> ConnectPairAsync()
    {
        ClientWebSocket client = await ConnectAsync();
        return (client, await NextSessionAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        if (_behaviourFailures.TryDequeue(out Exception? failure))
        {
            throw new InvalidOperationException("A server-side test behaviour failed.", failure);
        }
    }

    private async Task AcceptAsync(HttpContext context, WebSocketSessionOptions options, Func<WebSocketTransportSession, Task> behaviour)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        var remote = new IPEndPoint(context.Connection.RemoteIpAddress!, context.Connection.RemotePort);
        string id = $"ws-{Interlocked.Increment(ref _nextSessionNumber)}";
        await using var session = new WebSocketTransportSession(socket, options, id, remote, Log, TimeProvider.System);
        _sessions.Writer.TryWrite(session);
        try
        {
            await behaviour(session);
        }
        catch (Exception exception)
        {
            _behaviourFailures.Enqueue(exception);
        }
    }
}

/// <summary>Collects formatted log lines.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, formatter(state, exception)));
}

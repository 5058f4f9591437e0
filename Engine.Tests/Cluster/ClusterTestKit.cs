using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Engine.Cluster;
using Engine.Hosting;
using Engine.Rooms;
using Engine.Sessions.Relay;
using Engine.Tests.Host;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Engine.Tests.Cluster;

/// <summary>What the NATS bus tests share: a bounded per-test deadline, polling waits, inboxes and probes.</summary>
internal sealed class ClusterTestKit : IDisposable
{
    /// <summary>How long any one condition may take to come true (generous: a loaded 2-core machine).</summary>
    public static readonly TimeSpan ConditionDeadline = TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource _timeout;
    private readonly List<Func<string>> _diagnostics = [];

    public ClusterTestKit(TimeSpan testTimeout)
    {
        _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        _timeout.CancelAfter(testTimeout);
        Logs = new RecordingLoggerProvider();
        LoggerFactory = new LoggerFactory([Logs]);
    }

    /// <summary>Cancelled when the test's own timeout passes (or the run is cancelled).</summary>
    public CancellationToken Token => _timeout.Token;

    public RecordingLoggerProvider Logs { get; }

    public ILoggerFactory LoggerFactory { get; }

    public static ClusterOptions Options(string url, string cluster = ClusterOptions.DefaultClusterName) => new() { Url = url, ClusterName = cluster };

    /// <summary>Adds text to every failure message (server output, counters).</summary>
    public void Describe(Func<string> diagnostics) => _diagnostics.Add(diagnostics);

    public void Describe(NatsServerFixture server) => Describe(() => "nats-server output:" + Environment.NewLine + server.Output);

    public void Describe(string name, NatsClusterBus bus) => Describe(() =>
        $"{name} ({bus.InstanceId}): connected {bus.IsConnected}, published {bus.Published}, received {bus.Received}, outbound dropped {bus.OutboundDropped}, " +
        $"inbound dropped {bus.InboundDropped}, handler errors {bus.HandlerErrors}, refused {bus.Refused}, publish errors {bus.PublishErrors}");

    public async Task<NatsClusterBus> ConnectAsync(string name, ClusterOptions options)
    {
        NatsClusterBus bus = await NatsClusterBus.ConnectAsync(options, LoggerFactory, Token);
        Describe(name, bus);
        return bus;
    }

    /// <summary>Polls <paramref name="condition"/> until true; fails naming <paramref name="what"/> after <see cref="ConditionDeadline"/>.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var elapsed = Stopwatch.StartNew();
        while (!condition())
        {
            if (elapsed.Elapsed > ConditionDeadline)
            {
                Assert.Fail($"Not true within {ConditionDeadline.TotalSeconds:0} s: {what}.{Environment.NewLine}{Diagnostics()}");
            }

            await Task.Delay(20, Token);
        }
    }

    /// <summary>
    /// Publishes a fresh probe on <paramref name="subject"/> every 100 ms until <paramref name="inbox"/> has
    /// one: NATS core keeps nothing for a subscription that is not registered yet (or again, after a
    /// reconnect), so this is how a test learns that messages flow. Returns the probe that arrived.
    /// </summary>
    public async Task<Inbox.Message> ProbeUntilReceivedAsync(IClusterBus from, string subject, Inbox inbox, string what)
    {
        string tag = "probe-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var elapsed = Stopwatch.StartNew();
        for (int attempt = 0; ; attempt++)
        {
            Assert.True(from.Publish(subject, Encoding.UTF8.GetBytes(tag + attempt)), $"Publish of a probe was refused ({what}).");
            var wait = Stopwatch.StartNew();
            while (wait.ElapsedMilliseconds < 100)
            {
                if (inbox.FirstStartingWith(tag) is { } arrived)
                {
                    return arrived;
                }

                await Task.Delay(10, Token);
            }

            if (elapsed.Elapsed > ConditionDeadline)
            {
                Assert.Fail($"No probe arrived within {ConditionDeadline.TotalSeconds:0} s ({attempt + 1} sent): {what}.{Environment.NewLine}{Diagnostics()}");
            }
        }
    }

    public string Diagnostics() =>
        string.Join(Environment.NewLine, _diagnostics.Select(d => d())) + Environment.NewLine + "log:" + Environment.NewLine + Logs.Text;

    public void Dispose()
    {
        LoggerFactory.Dispose();
        _timeout.Dispose();
    }

    /// <summary>Messages a handler received, in order, as text.</summary>
    internal sealed class Inbox
    {
        private readonly ConcurrentQueue<Message> _messages = new();

        public int Count => _messages.Count;

        public IReadOnlyList<Message> Messages => [.. _messages];

        public void Handle(ClusterMessage message) =>
            _messages.Enqueue(new Message(message.Subject, Encoding.UTF8.GetString(message.Payload.Span), message.SenderInstance));

        public bool Has(string payload) => _messages.Any(m => m.Payload == payload);

        public Message? FirstStartingWith(string prefix) => _messages.FirstOrDefault(m => m.Payload.StartsWith(prefix, StringComparison.Ordinal));

        public Message Single(string payload) => Assert.Single(_messages, m => m.Payload == payload);

        public override string ToString() => string.Join(", ", _messages.Select(m => $"{m.Subject}={m.Payload}"));

        internal sealed record Message(string Subject, string Payload, string? Sender);
    }

    /// <summary>
    /// One Engine instance wired as <c>AddEngine</c> wires a clustered one (NATS bus, JetStream KV room
    /// leases, JetStream event store), with the lease time the test needs (production reads it from
    /// <c>Engine:Nats:Leases</c>). Disposed host first, then the leases (releasing them), then the bus.
    /// </summary>
    internal sealed class Instance : IAsyncDisposable
    {
        private Instance(string name, NatsClusterBus bus, NatsRoomLeases leases, EngineTestHost host)
        {
            Name = name;
            Bus = bus;
            Leases = leases;
            Host = host;
        }

        public string Name { get; }

        public NatsClusterBus Bus { get; }

        public NatsRoomLeases Leases { get; }

        public EngineTestHost Host { get; }

        public RoomManager Rooms => Host.Services.GetRequiredService<RoomManager>();

        public RelayServer Relay => Host.Services.GetRequiredService<RelayServer>();

        public static async Task<Instance> StartAsync(ClusterTestKit kit, string name, string url, RoomLeaseOptions leaseOptions, Action<EngineOptions>? configure = null)
        {
            NatsClusterBus bus = await kit.ConnectAsync(name, Options(url));
            NatsRoomLeases? leases = null;
            try
            {
                leases = new NatsRoomLeases(bus.Connection, bus.ClusterName, bus.InstanceId, TimeProvider.System, kit.LoggerFactory, leaseOptions);
                EngineTestHost host = await EngineTestHost.StartAsync(configure, bus, leases);
                return new Instance(name, bus, leases, host);
            }
            catch
            {
                if (leases is not null)
                {
                    await leases.DisposeAsync();
                }

                await bus.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Host.DisposeAsync();
            }
            finally
            {
                await Leases.DisposeAsync();
                await Bus.DisposeAsync();
            }
        }
    }
}

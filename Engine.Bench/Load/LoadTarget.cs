using System.Net.Http.Json;
using System.Text.Json;

namespace Engine.Bench.Load;

/// <summary>
/// What a load run measures: a server process to start and how its clients connect. <c>ws</c>:
/// Engine over WebSocket (/ws); <c>wt</c>: Engine over WebTransport (/wt); <c>node-ws</c>: the Node
/// <c>ws</c> baseline.
/// </summary>
internal abstract class LoadTarget
{
    public const string EngineWebSocketKey = "ws";
    public const string EngineWebTransportKey = "wt";

    public static readonly LoadTarget EngineWebSocket = new EngineWebSocketTarget();
    public static readonly LoadTarget EngineWebTransport = new EngineWebTransportTarget();
    public static readonly LoadTarget NodeWs = new NodeWsTarget();
    public static readonly LoadTarget UdpFloor = new UdpFloorTarget();

    /// <summary>Short name for tables.</summary>
    public abstract string Name { get; }

    /// <summary>WebSocket or WebTransport.</summary>
    public abstract string Carrier { get; }

    public bool IsWebTransport => Carrier == "WebTransport";

    public static LoadTarget For(string key) => key switch
    {
        EngineWebSocketKey => EngineWebSocket,
        EngineWebTransportKey => EngineWebTransport,
        LoadArguments.NodeWsBaseline => NodeWs,
        _ => throw new ArgumentException($"Unknown target {key}; the targets are {EngineWebSocketKey}, {EngineWebTransportKey} and {LoadArguments.NodeWsBaseline}."),
    };

    public abstract ServerUnderTest Start(LoadArguments args);

    /// <summary>Whatever the clients need from the running server; returns how to connect client <c>i</c>.</summary>
    public abstract Task<Func<int, Task<LoadClient>>> PrepareClientsAsync(ServerUnderTest server);

    /// <summary>How the clients' connections are carried and secured (after they connected).</summary>
    public abstract Task<string> DescribeTransportAsync(ServerUnderTest server, LoadClient first);

    private sealed class EngineWebSocketTarget : LoadTarget
    {
        public override string Name => "Engine WS";

        public override string Carrier => "WebSocket";

        public override ServerUnderTest Start(LoadArguments args) => ServerUnderTest.StartEngine(args);

        public override Task<Func<int, Task<LoadClient>>> PrepareClientsAsync(ServerUnderTest server) =>
            Task.FromResult<Func<int, Task<LoadClient>>>(i => WebSocketLoadClient.ConnectAsync(server.WebSocketUri, i));

        public override Task<string> DescribeTransportAsync(ServerUnderTest server, LoadClient first) => server.DescribeTransportAsync();
    }

    private sealed class NodeWsTarget : LoadTarget
    {
        public override string Name => LoadArguments.NodeWsBaseline;

        public override string Carrier => "WebSocket";

        public override ServerUnderTest Start(LoadArguments args) => NodeWsBaseline.Start(args);

        public override Task<Func<int, Task<LoadClient>>> PrepareClientsAsync(ServerUnderTest server) => EngineWebSocket.PrepareClientsAsync(server);

        public override Task<string> DescribeTransportAsync(ServerUnderTest server, LoadClient first) => server.DescribeTransportAsync();
    }

    private sealed class EngineWebTransportTarget : LoadTarget
    {
        public override string Name => "Engine WT";

        public override string Carrier => "WebTransport";

        public override ServerUnderTest Start(LoadArguments args) => ServerUnderTest.StartEngine(args);

        /// <summary>Trusts the server's development certificate by the hash its GET /cert-hash serves, as a page would.</summary>
        public override async Task<Func<int, Task<LoadClient>>> PrepareClientsAsync(ServerUnderTest server)
        {
            var origin = new Uri($"https://{server.WebSocketUri.Authority}");
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = static (_, _, _, _) => true };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
            using JsonDocument json = await http.GetFromJsonAsync<JsonDocument>(new Uri(origin, "/cert-hash"))
                ?? throw new InvalidOperationException("GET /cert-hash returned nothing.");
            byte[] hash = Convert.FromHexString(json.RootElement.GetProperty("sha256").GetString()!);
            var uri = new Uri(origin, "/wt");
            return i => WebTransportLoadClient.ConnectAsync(uri, hash, i);
        }

        public override Task<string> DescribeTransportAsync(ServerUnderTest server, LoadClient first) =>
            Task.FromResult($"https://{server.WebSocketUri.Authority}/wt (WebTransport draft-02 over HTTP/3, QUIC v1 + TLS 1.3 via Engine.Transport on both ends, " +
                $"certificate trusted by its SHA-256 from /cert-hash; max datagram payload {((WebTransportLoadClient)first).MaxDatagramSize} B)");
    }

    /// <summary>The raw-UDP floor: the same <c>serve</c> process (its Engine host idle) also runs <see cref="UdpFloorSender"/>; N plain UDP sockets here receive.</summary>
    private sealed class UdpFloorTarget : LoadTarget
    {
        public override string Name => "raw UDP";

        public override string Carrier => "UDP";

        private bool _threads;

        public override ServerUnderTest Start(LoadArguments args)
        {
            _threads = args.UdpFloorThreads;
            return ServerUnderTest.StartEngine(args);
        }

        public override Task<Func<int, Task<LoadClient>>> PrepareClientsAsync(ServerUnderTest server) =>
            Task.FromResult<Func<int, Task<LoadClient>>>(_ => UdpFloorClient.ConnectAsync(server.UdpFloorPort, _threads));

        public override Task<string> DescribeTransportAsync(ServerUnderTest server, LoadClient first) =>
            Task.FromResult($"udp://127.0.0.1:{server.UdpFloorPort} (plain UDP echo, no encryption or framing: Socket.SendTo per receiver from one thread in the server process, every datagram echoed back and received on a second thread; receivers {(_threads ? "on a thread each" : "async on the pool")}; {server.UdpFloorBytes} B datagrams, the mean Engine snapshot message of the first run unless --udp-bytes)");
    }
}

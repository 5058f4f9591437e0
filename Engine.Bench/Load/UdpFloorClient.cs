using System.Net;
using System.Net.Sockets;

namespace Engine.Bench.Load;

/// <summary>
/// A raw-UDP floor receiver (<c>--udp-floor</c>): one plain UDP socket connected to the server
/// process's <see cref="UdpFloorSender"/>, registered by one datagram, then an async receive loop
/// (like the WebSocket clients' reads: pool threads, no dedicated thread) recording stamp→receive
/// latency and loss by tick number. Nothing is decoded, decrypted or acknowledged: the floor.
/// </summary>
internal sealed class UdpFloorClient : LoadClient
{
    private readonly Socket _socket;

    private UdpFloorClient(Socket socket)
    {
        _socket = socket;
        Start(ReadAsync);
    }

    public static async Task<LoadClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(new byte[] { 1 }, SocketFlags.None); // register with the sender
        return new UdpFloorClient(socket);
    }

    protected override Task SendAsync(byte[] message, CancellationToken cancellationToken) => Task.CompletedTask; // no heartbeat

    protected override bool IsClosed(Exception exception) => exception is SocketException or ObjectDisposedException;

    protected override ValueTask CloseAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task ReadAsync() => UntilClosedAsync(async () =>
    {
        byte[] buffer = new byte[65_536];
        while (true)
        {
            int length = await _socket.ReceiveAsync(buffer, SocketFlags.None, Stopping);
            ReceiveRaw(buffer.AsSpan(0, length), System.Diagnostics.Stopwatch.GetTimestamp());
        }
    });
}

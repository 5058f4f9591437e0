using System.Net;
using System.Net.Sockets;

namespace Engine.Bench.Load;

/// <summary>
/// A raw-UDP floor receiver (<c>--udp-floor</c>): one plain UDP socket connected to the server
/// process's <see cref="UdpFloorSender"/>, registered by one datagram, then a receive loop (async on
/// the pool, or blocking on a thread of its own with <c>--udp-floor-threads</c>) recording
/// stamp→receive latency and loss by tick number, and sending each datagram straight back (the
/// echo: one datagram to the server per datagram received, as an Engine client's ack or input is).
/// Nothing is decoded or decrypted: the floor.
/// </summary>
internal sealed class UdpFloorClient : LoadClient
{
    private readonly Socket _socket;

    private UdpFloorClient(Socket socket, bool dedicatedThread)
    {
        _socket = socket;
        Start(dedicatedThread ? ReadOnThreadAsync : ReadAsync);
    }

    public static async Task<LoadClient> ConnectAsync(int port, bool dedicatedThread = false)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(new byte[] { 1 }, SocketFlags.None); // register with the sender
        return new UdpFloorClient(socket, dedicatedThread);
    }

    protected override Task SendAsync(byte[] message, CancellationToken cancellationToken) => Task.CompletedTask; // no heartbeat

    protected override bool IsClosed(Exception exception) => exception is SocketException or ObjectDisposedException;

    protected override ValueTask CloseAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Echo(ReadOnlySpan<byte> datagram)
    {
        try
        {
            _socket.Send(datagram, SocketFlags.None);
        }
        catch (SocketException)
        {
            // a full buffer or a refused port drops the echo, as a lost ack would be
        }
    }

    private Task ReadAsync() => UntilClosedAsync(async () =>
    {
        byte[] buffer = new byte[65_536];
        while (true)
        {
            int length = await _socket.ReceiveAsync(buffer, SocketFlags.None, Stopping);
            ReceiveRaw(buffer.AsSpan(0, length), System.Diagnostics.Stopwatch.GetTimestamp());
            Echo(buffer.AsSpan(0, length));
        }
    });

    private Task ReadOnThreadAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            byte[] buffer = new byte[65_536];
            try
            {
                while (!Stopping.IsCancellationRequested)
                {
                    int length = _socket.Receive(buffer, SocketFlags.None);
                    ReceiveRaw(buffer.AsSpan(0, length), System.Diagnostics.Stopwatch.GetTimestamp());
                    Echo(buffer.AsSpan(0, length));
                }
            }
            catch (Exception exception) when (IsClosed(exception))
            {
                // closed: the run is over
            }
            finally
            {
                done.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = "udp-floor-recv",
        };
        thread.Start();
        return done.Task;
    }
}

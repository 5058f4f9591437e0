using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Engine.Bench.Load;

/// <summary>
/// The raw-UDP floor's server half (<c>serve --udp-floor BYTES</c>), in the same server process as
/// the Engine host: one UDP socket on 127.0.0.1; a dedicated thread ticks at the room's rate on the
/// same schedule as Engine's rooms (tick n due at start + n·period) and, per tick, takes one
/// <c>Stopwatch</c> stamp and sends the same <c>BYTES</c>-byte datagram (stamp i64, tick u32, zeros)
/// to every receiver with <c>Socket.SendTo</c> — a fan-out loop with no encoding, encryption or
/// framing: the machine's floor. It is an echo, as the floor is: every receiver sends each
/// datagram back, and a second dedicated thread (blocking, like Engine's QUIC driver thread)
/// receives every echo, as Engine's server receives an input or ack datagram per snapshot. The first
/// datagram from an address registers it as a receiver.
/// </summary>
internal sealed class UdpFloorSender : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly byte[] _payload;
    private readonly int _rate;
    private readonly Thread _receiver;
    private readonly Thread _ticker;
    private volatile SocketAddress[] _receivers = [];
    private volatile bool _stopping;
    private long _echoes;

    public UdpFloorSender(int bytes, int rate)
    {
        _payload = new byte[Math.Max(12, bytes)];
        _rate = rate;
        _socket.SendBufferSize = 4 << 20;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _receiver = new Thread(Register) { IsBackground = true, Name = "udp-floor-echo-receive" };
        _ticker = new Thread(Tick) { IsBackground = true, Name = "udp-floor-tick" };
        _receiver.Start();
        _ticker.Start();
    }

    public int Port { get; }

    /// <summary>Datagrams received so far (registrations and echoes).</summary>
    public long Echoes => Interlocked.Read(ref _echoes);

    private void Register()
    {
        byte[] buffer = new byte[65_536];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        var known = new HashSet<SocketAddress>();
        while (!_stopping)
        {
            try
            {
                _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _echoes);
            if (!known.Contains(from))
            {
                var copy = new SocketAddress(AddressFamily.InterNetwork);
                from.Buffer.CopyTo(copy.Buffer);
                known.Add(copy);
                _receivers = [.. _receivers, copy];
            }
        }
    }

    private void Tick()
    {
        double period = (double)Stopwatch.Frequency / _rate;
        long start = Stopwatch.GetTimestamp();
        uint tick = 0;
        while (!_stopping)
        {
            long deadline = start + (long)((tick + 1) * period);
            long wait = deadline - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                Thread.Sleep(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                continue;
            }

            tick++;
            BinaryPrimitives.WriteInt64LittleEndian(_payload, Stopwatch.GetTimestamp());
            BinaryPrimitives.WriteUInt32LittleEndian(_payload.AsSpan(8), tick);
            foreach (SocketAddress to in _receivers)
            {
                try
                {
                    _socket.SendTo(_payload, SocketFlags.None, to);
                }
                catch (SocketException)
                {
                    // a full send buffer drops the datagram, like a full queue would; the receiver counts it lost by tick
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _socket.Dispose();
        _ticker.Join(TimeSpan.FromSeconds(2));
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Engine.Transport.Quic;

namespace Engine.Tests.Transport.Quic.Interop;

/// <summary>
/// A deliberately plain test driver for the sans-IO endpoint on a real UDP socket: one thread
/// that waits for a datagram or the next timer, feeds the endpoint and sends what it polls.
/// It exists to put the core in front of independent implementations (ngtcp2); the product
/// driver (pooled, allocation-free, IPv6, batching) is issue 5's.
/// </summary>
internal sealed class UdpQuicPump : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private volatile bool _stopping;

    public UdpQuicPump(QuicEndpoint endpoint)
    {
        Endpoint = endpoint;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _thread = new Thread(Run) { IsBackground = true, Name = "udp-quic-pump" };
        _thread.Start();
    }

    public QuicEndpoint Endpoint { get; }

    public IPEndPoint LocalEndPoint { get; }

    public TimeSpan Now => _clock.Elapsed;

    public Exception? Failure { get; private set; }

    /// <summary>Runs <paramref name="action"/> on the endpoint between two pump iterations.</summary>
    public T Invoke<T>(Func<QuicEndpoint, TimeSpan, T> action)
    {
        lock (_gate)
        {
            return action(Endpoint, Now);
        }
    }

    /// <summary>Polls <paramref name="condition"/> (under the pump's lock) until it holds or the timeout passes.</summary>
    public bool WaitUntil(Func<QuicEndpoint, bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (Invoke((endpoint, _) => condition(endpoint)))
            {
                return true;
            }

            Thread.Sleep(10);
        }

        return false;
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _socket.Dispose();
        Endpoint.Dispose();
    }

    private void Run()
    {
        byte[] receive = new byte[65536];
        byte[] send = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (!_stopping)
            {
                TimeSpan wait;
                lock (_gate)
                {
                    Flush(send);
                    TimeSpan? timeout = Endpoint.PollTimeout();
                    wait = timeout is { } t ? t - Now : TimeSpan.FromMilliseconds(20);
                }

                int micros = (int)Math.Clamp(wait.TotalMicroseconds, 0, 20_000);
                if (_socket.Poll(micros, SelectMode.SelectRead))
                {
                    int length = _socket.ReceiveFrom(receive, ref any);
                    lock (_gate)
                    {
                        Endpoint.HandleDatagram((IPEndPoint)any, receive.AsSpan(0, length), Now);
                    }
                }

                lock (_gate)
                {
                    if (Endpoint.PollTimeout() is { } due && due <= Now)
                    {
                        Endpoint.HandleTimeout(Now);
                    }
                }
            }
        }
        catch (Exception exception) when (!_stopping)
        {
            Failure = exception;
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Flush(byte[] buffer)
    {
        for (int i = 0; i < 1000; i++)
        {
            int length = Endpoint.PollTransmit(Now, buffer, out IPEndPoint? destination);
            if (length == 0 || destination is null)
            {
                return;
            }

            _socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, destination);
        }
    }
}

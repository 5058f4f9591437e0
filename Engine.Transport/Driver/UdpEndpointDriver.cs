using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Engine.Transport.Quic;

namespace Engine.Transport.Driver;

/// <summary>
/// Runs a sans-IO <see cref="QuicEndpoint"/> on a UDP socket: one dedicated thread waits for a
/// datagram or the endpoint's next timer, feeds the endpoint, and sends what it polls. Other
/// threads act on the endpoint through <see cref="Invoke{T}"/>, which holds the same lock and
/// flushes whatever the action made sendable, so a write never waits for the loop to wake.
/// Steady state allocates nothing per datagram: fixed buffers, a reused <see cref="SocketAddress"/>
/// for receiving, and a bounded cache from socket addresses to the <see cref="IPEndPoint"/>s the
/// endpoint keys connections by.
/// </summary>
internal sealed class UdpEndpointDriver : IDisposable
{
    /// <summary>Distinct peer addresses remembered; beyond it the cache starts over (costing one allocation per peer).</summary>
    private const int MaxCachedAddresses = 4096;

    private readonly Socket _socket;
    private readonly Thread _thread;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private readonly byte[] _receiveBuffer = new byte[65536];
    private readonly byte[] _sendBuffer = new byte[65536];
    private readonly SocketAddress _receiveAddress;
    private readonly IPEndPoint _endPointTemplate;
    private readonly Dictionary<SocketAddress, IPEndPoint> _endPoints = [];
    private readonly Dictionary<IPEndPoint, SocketAddress> _socketAddresses = [];
    private volatile bool _stopping;

    /// <summary>
    /// Binds <paramref name="localEndPoint"/> (IPv6Any makes a dual-stack socket that also serves
    /// IPv4) and starts the loop. The driver owns and disposes <paramref name="endpoint"/>.
    /// </summary>
    public UdpEndpointDriver(QuicEndpoint endpoint, IPEndPoint localEndPoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(localEndPoint);
        Endpoint = endpoint;
        _socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && localEndPoint.Address.Equals(IPAddress.IPv6Any))
        {
            _socket.DualMode = true;
        }

        _socket.ReceiveBufferSize = 4 << 20;
        _socket.SendBufferSize = 4 << 20;
        _socket.Bind(localEndPoint);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _receiveAddress = new SocketAddress(_socket.AddressFamily);
        _endPointTemplate = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        _thread = new Thread(Run) { IsBackground = true, Name = $"quic-udp {LocalEndPoint}" };
        _thread.Start();
    }

    public QuicEndpoint Endpoint { get; }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The driver's clock, the <c>now</c> every endpoint call receives.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Set if the loop died on an unexpected exception (a bug); the socket is then idle.</summary>
    public Exception? Failure { get; private set; }

    public long DatagramsReceived { get; private set; }

    public long DatagramsSent { get; private set; }

    /// <summary>Sends the OS refused (e.g. ICMP-reported unreachable ports); the datagram counts as lost.</summary>
    public long SendErrors { get; private set; }

    /// <summary>Called under the lock after every loop iteration, so an owner can drain connection events.</summary>
    public Action<QuicEndpoint, TimeSpan>? AfterIteration { get; set; }

    /// <summary>Runs <paramref name="action"/> on the endpoint under the driver's lock, then sends what became sendable.</summary>
    public T Invoke<T>(Func<QuicEndpoint, TimeSpan, T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_gate)
        {
            T result = action(Endpoint, Now);
            Flush();
            return result;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _socket.Dispose();
        lock (_gate)
        {
            Endpoint.Dispose();
        }
    }

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                TimeSpan wait;
                lock (_gate)
                {
                    if (Endpoint.PollTimeout() is { } due && due <= Now)
                    {
                        Endpoint.HandleTimeout(Now);
                    }

                    Flush();
                    AfterIteration?.Invoke(Endpoint, Now);
                    wait = Endpoint.PollTimeout() is { } next ? next - Now : TimeSpan.FromMilliseconds(50);
                }

                // Poll in slices of at most 50 ms so Dispose is noticed promptly.
                int micros = (int)Math.Clamp(wait.TotalMicroseconds, 0, 50_000);
                if (_socket.Poll(micros, SelectMode.SelectRead))
                {
                    ReceiveAvailable();
                }
            }
        }
        catch (ObjectDisposedException) when (_stopping)
        {
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Failure = exception;
        }
    }

    /// <summary>Drains what the socket holds (bounded per turn so timers and sends keep running).</summary>
    private void ReceiveAvailable()
    {
        for (int i = 0; i < 64 && _socket.Available > 0 || i == 0; i++)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(_receiveBuffer, SocketFlags.None, _receiveAddress);
            }
            catch (SocketException)
            {
                return; // e.g. ICMP port unreachable surfaced on Linux as ECONNREFUSED: not this datagram's fault
            }

            lock (_gate)
            {
                DatagramsReceived++;
                Endpoint.HandleDatagram(ToEndPoint(_receiveAddress), _receiveBuffer.AsSpan(0, length), Now);
            }
        }
    }

    private void Flush()
    {
        for (int i = 0; i < 10_000; i++)
        {
            int length = Endpoint.PollTransmit(Now, _sendBuffer, out IPEndPoint? destination);
            if (length == 0 || destination is null)
            {
                return;
            }

            try
            {
                _socket.SendTo(_sendBuffer.AsSpan(0, length), SocketFlags.None, ToSocketAddress(destination));
                DatagramsSent++;
            }
            catch (SocketException)
            {
                SendErrors++; // UDP is lossy anyway; recovery resends what mattered
            }
        }
    }

    private IPEndPoint ToEndPoint(SocketAddress address)
    {
        if (_endPoints.TryGetValue(address, out IPEndPoint? known))
        {
            return known;
        }

        if (_endPoints.Count >= MaxCachedAddresses)
        {
            _endPoints.Clear();
            _socketAddresses.Clear();
        }

        var endPoint = (IPEndPoint)_endPointTemplate.Create(address);
        if (_socket.DualMode && endPoint.Address.IsIPv4MappedToIPv6)
        {
            endPoint = new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port);
        }

        var key = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span.CopyTo(key.Buffer.Span);
        _endPoints[key] = endPoint;
        return endPoint;
    }

    private SocketAddress ToSocketAddress(IPEndPoint endPoint)
    {
        if (_socketAddresses.TryGetValue(endPoint, out SocketAddress? known))
        {
            return known;
        }

        IPEndPoint target = _socket.DualMode && endPoint.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(endPoint.Address.MapToIPv6(), endPoint.Port)
            : endPoint;
        SocketAddress address = target.Serialize();
        if (_socketAddresses.Count >= MaxCachedAddresses)
        {
            _socketAddresses.Clear();
        }

        _socketAddresses[endPoint] = address;
        return address;
    }
}

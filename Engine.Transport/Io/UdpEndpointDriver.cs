using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Engine.Transport.Quic;

namespace Engine.Transport.Io;

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

    /// <summary>Linux UDP generic segmentation offload (SOL_UDP, UDP_SEGMENT): one send, many datagrams.</summary>
    private const int SolUdp = 17;
    private const int UdpSegment = 103;
    private const int MaxSegmentsPerSend = 64;
    private const int MaxDatagramRoom = 1500;
    private const int MaxBatchBytes = 65000; // under the 65,507-byte UDP payload limit of one send

    private readonly Socket _socket;
    private readonly Thread _thread;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();

    /// <summary>True on the driver's thread during its turn, or inside <see cref="Invoke{T}"/>: the core may be touched directly.</summary>
    internal bool IsHeldByCurrentThread => _gate.IsHeldByCurrentThread;
    private readonly byte[] _receiveBuffer = new byte[65536];
    private readonly byte[] _sendBuffer = new byte[65536];
    private readonly SocketAddress _receiveAddress;
    private readonly IPEndPoint _endPointTemplate;
    private readonly Dictionary<SocketAddress, IPEndPoint> _endPoints = [];
    private readonly Dictionary<IPEndPoint, SocketAddress> _socketAddresses = [];
    private volatile bool _stopping;
    private readonly bool _segmentationOffload;
    private readonly bool _nativeReceive;
    private int _segmentSize;

    /// <summary>
    /// Binds <paramref name="localEndPoint"/> (IPv6Any makes a dual-stack socket that also serves
    /// IPv4) and starts the loop. The driver owns and disposes <paramref name="endpoint"/>.
    /// </summary>
    /// <param name="endpoint">The endpoint to run.</param>
    /// <param name="localEndPoint">Where to bind.</param>
    /// <param name="segmentationOffload">Batch sends with Linux UDP GSO when the OS supports it; false sends one datagram per call.</param>
    /// <param name="nonBlockingReceive">Drain the socket with non-blocking receives (Linux) until it would block; false asks <see cref="Socket.Available"/> before each receive.</param>
    public UdpEndpointDriver(QuicEndpoint endpoint, IPEndPoint localEndPoint, bool segmentationOffload = true, bool nonBlockingReceive = true)
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
        _segmentationOffload = segmentationOffload && OperatingSystem.IsLinux() && TrySetSegmentSize(0);
        _nativeReceive = nonBlockingReceive && NonBlockingReceive.Probe();
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

    /// <summary>Sends that carried more than one datagram (Linux UDP GSO); 0 where the OS lacks it.</summary>
    public long BatchedSends { get; private set; }

    /// <summary>Whether sends are batched with UDP generic segmentation offload.</summary>
    public bool UsesSegmentationOffload => _segmentationOffload;

    /// <summary>Whether receives drain the socket with non-blocking calls (no readiness query per datagram).</summary>
    public bool UsesNonBlockingReceive => _nativeReceive;

    /// <summary>When true, <see cref="Timings"/> accumulates where the loop spends its time (a bench switch; costs two clock reads per step).</summary>
    public bool MeasureTimings { get; set; }

    /// <summary>Time accumulated per activity while <see cref="MeasureTimings"/> is on.</summary>
    public UdpDriverTimings Timings { get; } = new();

    /// <summary>
    /// Called under the lock after every loop iteration and after every <see cref="Invoke{T}"/>, so
    /// an owner can dispatch connection events (the endpoint's event-ready list); what it makes
    /// sendable is sent right after.
    /// </summary>
    public Action<QuicEndpoint, TimeSpan>? AfterIteration { get; set; }

    /// <summary>Runs <paramref name="action"/> on the endpoint under the driver's lock, then sends what became sendable.</summary>
    public T Invoke<T>(Func<QuicEndpoint, TimeSpan, T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_gate)
        {
            T result = action(Endpoint, Now);
            Flush();
            Dispatch();
            return result;
        }
    }

    /// <summary>
    /// <see cref="Invoke{T}"/> with the action's state passed through rather than captured (no
    /// closure per call on hot paths; a span may be the state).
    /// </summary>
    public TResult Invoke<TState, TResult>(TState state, Func<TimeSpan, TState, TResult> action)
        where TState : allows ref struct
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_gate)
        {
            TResult result = action(Now, state);
            Flush();
            Dispatch();
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
            bool mayHaveMore = false;
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
                    Dispatch();

                    wait = Endpoint.PollTimeout() is { } next ? next - Now : TimeSpan.FromMilliseconds(50);
                }

                if (_nativeReceive)
                {
                    // Wait only once the last drain ended on an empty socket.
                    if (mayHaveMore || Wait(wait))
                    {
                        mayHaveMore = Drain();
                    }
                }
                else if (Wait(wait))
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

    /// <summary>
    /// Lets the owner act on what the last steps produced (<see cref="AfterIteration"/>), then sends
    /// what that made sendable, so an answer written while handling events leaves at once instead
    /// of waiting for the next datagram or timer.
    /// </summary>
    private void Dispatch()
    {
        if (AfterIteration is not { } afterIteration)
        {
            return;
        }

        long started = MeasureTimings ? Stopwatch.GetTimestamp() : 0;
        afterIteration(Endpoint, Now);
        if (MeasureTimings)
        {
            Timings.Application += Stopwatch.GetTimestamp() - started;
        }

        if (Endpoint.ActiveConnectionCount > 0)
        {
            Flush();
        }
    }

    /// <summary>Waits for a datagram, in slices of at most 50 ms so Dispose is noticed promptly.</summary>
    private bool Wait(TimeSpan wait)
    {
        long started = MeasureTimings ? Stopwatch.GetTimestamp() : 0;
        int micros = (int)Math.Clamp(wait.TotalMicroseconds, 0, 50_000);
        bool readable = _socket.Poll(micros, SelectMode.SelectRead);
        if (MeasureTimings)
        {
            Timings.Wait += Stopwatch.GetTimestamp() - started;
            Timings.Waits++;
        }

        return readable;
    }

    /// <summary>
    /// Receives with non-blocking calls until the socket is empty or 64 datagrams were taken (so
    /// timers and sends keep running). Returns true when more may be queued.
    /// </summary>
    private bool Drain()
    {
        for (int i = 0; i < 64; i++)
        {
            long started = MeasureTimings ? Stopwatch.GetTimestamp() : 0;
            NonBlockingReceive.Result result = NonBlockingReceive.TryReceive(_socket, _receiveBuffer, _receiveAddress, out int length);
            if (MeasureTimings)
            {
                Timings.Receive += Stopwatch.GetTimestamp() - started;
                Timings.Receives++;
            }

            switch (result)
            {
                case NonBlockingReceive.Result.WouldBlock:
                    return false;
                case NonBlockingReceive.Result.Failed:
                    return true; // e.g. ICMP port unreachable surfaced as ECONNREFUSED: not the next datagram's fault
            }

            Handle(length);
        }

        return true;
    }

    /// <summary>Drains what the socket holds (bounded per turn so timers and sends keep running).</summary>
    private void ReceiveAvailable()
    {
        for (int i = 0; i < 64 && _socket.Available > 0 || i == 0; i++)
        {
            int length;
            long started = MeasureTimings ? Stopwatch.GetTimestamp() : 0;
            try
            {
                length = _socket.ReceiveFrom(_receiveBuffer, SocketFlags.None, _receiveAddress);
            }
            catch (SocketException)
            {
                return; // e.g. ICMP port unreachable surfaced on Linux as ECONNREFUSED: not this datagram's fault
            }

            if (MeasureTimings)
            {
                Timings.Receive += Stopwatch.GetTimestamp() - started;
                Timings.Receives++;
            }

            Handle(length);
        }
    }

    private void Handle(int length)
    {
        lock (_gate)
        {
            long started = MeasureTimings ? Stopwatch.GetTimestamp() : 0;
            DatagramsReceived++;
            Endpoint.HandleDatagram(ToEndPoint(_receiveAddress), _receiveBuffer.AsSpan(0, length), Now);
            if (MeasureTimings)
            {
                Timings.Handle += Stopwatch.GetTimestamp() - started;
            }
        }
    }

    /// <summary>
    /// Sends everything the endpoint has. With UDP GSO, consecutive datagrams to one destination
    /// that share a size (the last may be shorter) leave in one send of up to 64 segments.
    /// </summary>
    private void Flush()
    {
        int batchBytes = 0;
        int batchCount = 0;
        int segment = 0;
        IPEndPoint? batchDestination = null;
        for (int i = 0; i < 10_000; i++)
        {
            if (batchCount > 0 && batchBytes + Math.Max(MaxDatagramRoom, segment) > MaxBatchBytes)
            {
                SendBatch(batchBytes, batchCount, segment, batchDestination!);
                batchBytes = batchCount = 0;
            }

            long started = MeasureTimings ? Stopwatch.GetTimestamp() : 0;
            int length = Endpoint.PollTransmit(Now, _sendBuffer.AsSpan(batchBytes), out IPEndPoint? destination);
            if (MeasureTimings)
            {
                Timings.Build += Stopwatch.GetTimestamp() - started;
            }

            if (length == 0 || destination is null)
            {
                break;
            }

            bool joins = _segmentationOffload && batchCount > 0 && batchCount < MaxSegmentsPerSend
                && destination.Equals(batchDestination) && length <= segment && (batchBytes % segment) == 0;
            if (joins)
            {
                batchBytes += length;
                batchCount++;
                continue;
            }

            if (batchCount > 0)
            {
                // The new datagram starts the next batch: move it to the front once this one is sent.
                SendBatch(batchBytes, batchCount, segment, batchDestination!);
                _sendBuffer.AsSpan(batchBytes, length).CopyTo(_sendBuffer);
            }

            batchBytes = length;
            batchCount = 1;
            segment = length;
            batchDestination = destination;
        }

        if (batchCount > 0)
        {
            SendBatch(batchBytes, batchCount, segment, batchDestination!);
        }
    }

    private void SendBatch(int bytes, int count, int segment, IPEndPoint destination)
    {
        long started = MeasureTimings ? Stopwatch.GetTimestamp() : 0;
        try
        {
            if (_segmentationOffload)
            {
                // A single datagram must not be split by a smaller setting left from an earlier batch.
                int wanted = count > 1 ? segment : 0;
                if (wanted != _segmentSize && !(count == 1 && (_segmentSize == 0 || bytes <= _segmentSize)))
                {
                    TrySetSegmentSize(wanted);
                }
            }

            _socket.SendTo(_sendBuffer.AsSpan(0, bytes), SocketFlags.None, ToSocketAddress(destination));
            DatagramsSent += count;
            if (count > 1)
            {
                BatchedSends++;
            }
        }
        catch (SocketException)
        {
            SendErrors++; // UDP is lossy anyway; recovery resends what mattered
        }

        if (MeasureTimings)
        {
            Timings.Send += Stopwatch.GetTimestamp() - started;
            Timings.Sends++;
        }
    }

    private bool TrySetSegmentSize(int size)
    {
        try
        {
            Span<byte> value = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(value, size);
            _socket.SetRawSocketOption(SolUdp, UdpSegment, value);
            _segmentSize = size;
            return true;
        }
        catch (SocketException)
        {
            return false;
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

/// <summary>Stopwatch ticks the driver spent per activity (see <see cref="UdpEndpointDriver.MeasureTimings"/>).</summary>
internal sealed class UdpDriverTimings
{
    /// <summary>Handling received datagrams (unprotect, frames, ACKs, stream reassembly).</summary>
    public long Handle { get; set; }

    /// <summary>Building and protecting datagrams (PollTransmit).</summary>
    public long Build { get; set; }

    /// <summary>In the send system call.</summary>
    public long Send { get; set; }

    public long Sends { get; set; }

    /// <summary>In the owner's AfterIteration callback (HTTP/3 processing, event dispatch).</summary>
    public long Application { get; set; }

    /// <summary>In receive calls (with non-blocking receives, including the empty one that ends a drain).</summary>
    public long Receive { get; set; }

    public long Receives { get; set; }

    /// <summary>In Socket.Poll, sleeping or not.</summary>
    public long Wait { get; set; }

    public long Waits { get; set; }

    public void Reset() => Handle = Build = Send = Sends = Application = Receive = Receives = Wait = Waits = 0;
}

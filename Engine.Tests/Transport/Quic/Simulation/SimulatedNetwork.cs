using System.Net;
using Engine.Transport.Quic;

namespace Engine.Tests.Transport.Quic.Simulation;

/// <summary>
/// A deterministic network between QUIC endpoints: a virtual clock, a seeded random source and
/// a queue of datagrams in flight. Each step sends whatever the endpoints have, advances the
/// clock to the next delivery or timer, and delivers or fires it. Same seed, same run — apart
/// from bytes the TLS layer draws from the system RNG (keys, ECDSA nonces), which can move a
/// signature's length by a byte or two but never what the network decides to do to a datagram.
/// </summary>
internal sealed class SimulatedNetwork
{
    private readonly Random _random;
    private readonly Dictionary<IPEndPoint, QuicEndpoint> _endpoints = [];
    private readonly PriorityQueue<Delivery, (TimeSpan At, long Sequence)> _inFlight = new();
    private readonly byte[] _buffer = new byte[65536];
    private long _sequence;

    public SimulatedNetwork(int seed) => _random = new Random(seed);

    public TimeSpan Now { get; private set; } = TimeSpan.FromSeconds(1);

    /// <summary>Conditions for datagrams sent by the endpoint at the given address.</summary>
    public Dictionary<IPEndPoint, NetworkConditions> ConditionsBySender { get; } = [];

    /// <summary>Called after every step, e.g. to let the application read and write.</summary>
    public Action? AfterStep { get; set; }

    /// <summary>Inspects (and may alter) every datagram about to enter the network.</summary>
    public Action<IPEndPoint, byte[]>? OnSend { get; set; }

    public long DatagramsSent { get; private set; }

    public long DatagramsLost { get; private set; }

    public long DatagramsCorrupted { get; private set; }

    public long DatagramsDuplicated { get; private set; }

    public long DatagramsTooBig { get; private set; }

    public int Steps { get; private set; }

    public void Attach(IPEndPoint address, QuicEndpoint endpoint) => _endpoints.Add(address, endpoint);

    /// <summary>Runs until <paramref name="done"/> holds; false if the step bound was hit or nothing was left to happen.</summary>
    public bool RunUntil(Func<bool> done, int maxSteps = 200_000) => Run(done, deadline: null, maxSteps);

    /// <summary>Runs for <paramref name="duration"/> of virtual time (the clock stops exactly there).</summary>
    public void RunFor(TimeSpan duration, int maxSteps = 200_000)
    {
        TimeSpan deadline = Now + duration;
        Run(() => Now >= deadline, deadline, maxSteps);
    }

    private bool Run(Func<bool> done, TimeSpan? deadline, int maxSteps)
    {
        for (int step = 0; step < maxSteps; step++)
        {
            Steps++;
            ThrowIfAnyEndpointFailed();
            FlushTransmits();
            AfterStep?.Invoke();
            if (done())
            {
                return true;
            }

            FlushTransmits();
            TimeSpan? next = NextEventTime();
            if (deadline is { } stop && (next is null || next > stop))
            {
                next = stop;
            }

            if (next is null)
            {
                return done();
            }

            if (next.Value > Now)
            {
                Now = next.Value;
            }

            while (_inFlight.TryPeek(out Delivery delivery, out (TimeSpan At, long Sequence) key) && key.At <= Now)
            {
                _inFlight.Dequeue();
                if (_endpoints.TryGetValue(delivery.To, out QuicEndpoint? endpoint))
                {
                    endpoint.HandleDatagram(delivery.From, delivery.Datagram, Now);
                }
            }

            foreach (QuicEndpoint endpoint in _endpoints.Values)
            {
                if (endpoint.PollTimeout() is { } timeout && timeout <= Now)
                {
                    endpoint.HandleTimeout(Now);
                }
            }
        }

        return done();
    }

    /// <summary>Puts a raw datagram on the wire from <paramref name="from"/> to <paramref name="to"/>, bypassing the conditions.</summary>
    public void Inject(IPEndPoint from, IPEndPoint to, byte[] datagram, TimeSpan? delay = null) =>
        _inFlight.Enqueue(new Delivery(from, to, datagram), (Now + (delay ?? TimeSpan.Zero), _sequence++));

    /// <summary>The endpoint turns our own exceptions into INTERNAL_ERROR closes; in tests they are failures.</summary>
    private void ThrowIfAnyEndpointFailed()
    {
        foreach (QuicEndpoint endpoint in _endpoints.Values)
        {
            if (endpoint.InternalErrors > 0)
            {
                throw new InvalidOperationException("A connection threw while handling input.", endpoint.LastInternalError);
            }
        }
    }

    private TimeSpan? NextEventTime()
    {
        TimeSpan? next = _inFlight.TryPeek(out _, out (TimeSpan At, long Sequence) key) ? key.At : null;
        foreach (QuicEndpoint endpoint in _endpoints.Values)
        {
            if (endpoint.PollTimeout() is { } timeout && (next is null || timeout < next))
            {
                next = timeout;
            }
        }

        return next;
    }

    private void FlushTransmits()
    {
        foreach ((IPEndPoint from, QuicEndpoint endpoint) in _endpoints)
        {
            for (int i = 0; i < 10_000; i++)
            {
                int length = endpoint.PollTransmit(Now, _buffer, out IPEndPoint? destination);
                if (length == 0 || destination is null)
                {
                    break;
                }

                byte[] datagram = _buffer.AsSpan(0, length).ToArray();
                OnSend?.Invoke(from, datagram);
                Transmit(from, destination, datagram);
            }
        }
    }

    private void Transmit(IPEndPoint from, IPEndPoint to, byte[] datagram)
    {
        DatagramsSent++;
        NetworkConditions conditions = ConditionsBySender.GetValueOrDefault(from) ?? NetworkConditions.Perfect;
        if (datagram.Length > conditions.Mtu)
        {
            DatagramsTooBig++;
            return;
        }

        if (_random.NextDouble() < conditions.Loss)
        {
            DatagramsLost++;
            return;
        }

        int copies = _random.NextDouble() < conditions.Duplication ? 2 : 1;
        if (copies == 2)
        {
            DatagramsDuplicated++;
        }

        for (int copy = 0; copy < copies; copy++)
        {
            byte[] bytes = copy == 0 ? datagram : (byte[])datagram.Clone();
            if (_random.NextDouble() < conditions.Corruption)
            {
                bytes[_random.Next(bytes.Length)] ^= (byte)(1 << _random.Next(8));
                DatagramsCorrupted++;
            }

            TimeSpan delay = conditions.Delay + (conditions.Jitter * _random.NextDouble());
            if (_random.NextDouble() < conditions.Reordering)
            {
                delay += conditions.ReorderWindow * _random.NextDouble();
            }

            _inFlight.Enqueue(new Delivery(from, to, bytes), (Now + delay, _sequence++));
        }
    }

    private readonly record struct Delivery(IPEndPoint From, IPEndPoint To, byte[] Datagram);
}

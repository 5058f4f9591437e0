using Engine.Transport.Http3;
using Engine.Transport.Quic;

namespace Engine.Transport.WebTransport.Protocol;

/// <summary>Decides on WebTransport CONNECTs and adopts the sessions (the public API's server side, or a test).</summary>
internal interface IWebTransportServerHandler
{
    /// <summary>
    /// A CONNECT for WebTransport on the configured path, within the session limit. Return null to
    /// accept, or the refusal to send (403, 429, 503 …). Runs on the connection's thread: no blocking.
    /// </summary>
    Http3Response? Authorize(Http3ServerRequest request);

    /// <summary>The transport itself refused a CONNECT (404 off the path, 429 over the session limit).</summary>
    void OnRefused(Http3ServerRequest request, int status);

    /// <summary>The 2xx was sent: set <see cref="WebTransportSessionCore.Sink"/> (buffered streams and datagrams are delivered right after).</summary>
    void OnSessionEstablished(WebTransportSessionCore session, Http3ServerRequest request);
}

/// <summary>
/// WebTransport draft-02 on one HTTP/3 server connection: answers extended CONNECT with
/// <c>:protocol webtransport</c> (404 off the path, 429 beyond the session limit, otherwise what
/// the handler says), then runs the sessions through a <see cref="WebTransportConnection"/>.
/// </summary>
internal sealed class WebTransportServerExtension : IHttp3ServerExtension
{
    public const string Protocol = "webtransport";

    private readonly WebTransportConnection _state;
    private readonly IWebTransportServerHandler _handler;
    private readonly string _path;

    public WebTransportServerExtension(QuicConnectionCore quic, IWebTransportServerHandler handler, string path, WebTransportLimits limits)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _state = new WebTransportConnection(quic, limits);
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _path = path;
    }

    public WebTransportConnection State => _state;

    /// <summary>CONNECTs refused here or by the handler, by status.</summary>
    public Dictionary<int, long> Refusals { get; } = [];

    public int ActiveSessions => _state.ActiveSessions;

    public bool ServesProtocol(string protocol) => protocol == Protocol;

    public Http3Response? OnExtendedConnect(Http3ServerRequest request, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now)
    {
        string path = request.Path;
        int query = path.IndexOf('?', StringComparison.Ordinal);
        if ((query < 0 ? path : path[..query]) != _path)
        {
            return Refuse(request, 404, "No WebTransport endpoint at this path.");
        }

        if (_state.ActiveSessions >= _state.Limits.MaxSessionsPerConnection)
        {
            return Refuse(request, 429, "Too many WebTransport sessions on one connection.");
        }

        Http3Response? refusal = _handler.Authorize(request);
        if (refusal is not null)
        {
            CountRefusal(refusal.Status);
            _state.MarkEnded(request.StreamId);
            return refusal;
        }

        request.SendHeaders(200, [new("sec-webtransport-http3-draft", "draft02")]);
        WebTransportSessionCore session = _state.AddSession(request.StreamId);
        _handler.OnSessionEstablished(session, request);
        _state.Start(session, leftover, finished, now);
        return null;
    }

    public void OnBidirectionalStream(long streamId, long sessionId, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now) =>
        _state.OnBidirectionalStream(streamId, sessionId, leftover, finished, now);

    public void OnUnidirectionalStream(long streamId, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now) =>
        _state.OnUnidirectionalStream(streamId, leftover, finished, now);

    public bool Owns(long streamId) => _state.Owns(streamId);

    public void OnStreamEvent(in QuicConnectionEvent e, TimeSpan now) => _state.OnStreamEvent(e, now);

    public void OnDatagramsReceived(TimeSpan now) => _state.OnDatagramsReceived(now);

    public void OnStreamsAvailable(TimeSpan now) => _state.OnStreamsAvailable();

    public void OnShutdown(TimeSpan now) => _state.DrainAll();

    public void OnConnectionClosing() => _state.CloseAll("the connection closed");

    public void OnProcessed(TimeSpan now) => _state.Expire(now);

    private Http3Response Refuse(Http3ServerRequest request, int status, string message)
    {
        CountRefusal(status);
        _handler.OnRefused(request, status);
        _state.MarkEnded(request.StreamId);
        return new Http3Response(status, [new("content-type", "text/plain; charset=utf-8")], System.Text.Encoding.UTF8.GetBytes(message));
    }

    private void CountRefusal(int status) => Refusals[status] = Refusals.GetValueOrDefault(status) + 1;
}

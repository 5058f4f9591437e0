using System.Globalization;
using Engine.Transport.Http3;
using Engine.Transport.Io;
using Engine.Transport.WebTransport.Protocol;

namespace Engine.Transport.WebTransport;

/// <summary>Connects one connection's sans-IO WebTransport layer to the public options: decisions, and a <see cref="WebTransportSession"/> per session.</summary>
internal sealed class WebTransportServerHandler(QuicEndpointHost host, WebTransportServerOptions options) : IWebTransportServerHandler
{
    /// <summary>Exceptions thrown by the application's callbacks (each cost only its CONNECT or session).</summary>
    public long CallbackErrors { get; private set; }

    public Http3Response? Authorize(Http3ServerRequest request)
    {
        if (options.Authorize is not { } authorize)
        {
            return null;
        }

        WebTransportConnectResult result;
        try
        {
            result = authorize(ToRequest(request));
        }
        catch (Exception)
        {
            CallbackErrors++;
            result = new WebTransportConnectResult(500, "Internal server error.");
        }

        if (result.IsAccepted)
        {
            return null;
        }

        List<KeyValuePair<string, string>> headers = [new("content-type", "text/plain; charset=utf-8")];
        if (result.RetryAfterSeconds is { } retry)
        {
            headers.Add(new("retry-after", retry.ToString(CultureInfo.InvariantCulture)));
        }

        int status = result.Status is >= 400 and <= 599 ? result.Status : 500;
        return new Http3Response(status, headers, System.Text.Encoding.UTF8.GetBytes(result.Message ?? "WebTransport session refused."));
    }

    public void OnRefused(Http3ServerRequest request, int status)
    {
        try
        {
            options.Refused?.Invoke(ToRequest(request), status);
        }
        catch (Exception)
        {
            CallbackErrors++;
        }
    }

    public void OnSessionEstablished(WebTransportSessionCore session, Http3ServerRequest request)
    {
        var created = new WebTransportSession(session, host, request.RemoteAddress, request.Path, request.Headers, options.DatagramReceiveQueue);
        try
        {
            options.SessionEstablished!(created);
        }
        catch (Exception)
        {
            CallbackErrors++;
            session.Close(0, "internal error");
        }
    }

    private static WebTransportConnectRequest ToRequest(Http3ServerRequest request) =>
        new(request.Path, request.Authority, request.Headers.FirstOrDefault(h => h.Key == "origin").Value, request.Headers, request.RemoteAddress, request.ConnectionId);
}

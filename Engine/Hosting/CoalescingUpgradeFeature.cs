using Engine.Transport.WebSockets;
using Microsoft.AspNetCore.Http.Features;

namespace Engine.Hosting;

/// <summary>
/// Installed on <c>/ws</c> requests before the WebSocket middleware: the upgraded stream it hands
/// out is a <see cref="WriteCoalescingStream"/>, so the session can batch its writes.
/// </summary>
internal sealed class CoalescingUpgradeFeature(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    /// <summary>The stream handed to the WebSocket, once upgraded.</summary>
    public WriteCoalescingStream? Stream { get; private set; }

    public async Task<Stream> UpgradeAsync()
    {
        Stream = new WriteCoalescingStream(await inner.UpgradeAsync());
        return Stream;
    }
}

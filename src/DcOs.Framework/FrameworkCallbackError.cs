namespace DcOs.Framework;

/// <summary>A scheduler callback that threw.</summary>
/// <param name="Callback">Which callback (e.g. "OffersAsync").</param>
/// <param name="Message">The exception's message.</param>
/// <param name="Time">When, on the framework's clock.</param>
/// <param name="DeclinedOffers">Offers of the batch it had not answered, declined for it.</param>
public sealed record FrameworkCallbackError(string Callback, string Message, DateTimeOffset Time, int DeclinedOffers);

namespace RagKit.Tests;

/// <summary>A small corpus of unrelated documents, and a fresh temporary folder per test.</summary>
public static class Corpus
{
    public static RagDocument[] Documents { get; } =
    [
        new("passwords", "To reset your password, open Settings and choose Security. Click 'Reset password' and follow the link we email you. The link expires after 30 minutes."),
        new("shipping", "Standard shipping takes three to five business days. Express shipping arrives the next business day if you order before noon. Shipping is free for orders over 50 euros."),
        new("refunds", "You can return any item within 30 days of delivery for a full refund. Refunds are paid to the original payment method within five business days after we receive the item."),
        new("volcanoes", "Volcanoes form where magma reaches the surface of the Earth. Most volcanoes lie along the boundaries of tectonic plates, such as the Pacific Ring of Fire."),
    ];

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ragkit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}

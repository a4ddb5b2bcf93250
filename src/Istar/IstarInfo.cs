namespace Istar; public static class IstarInfo { public static string Version => "0.1.0"; }

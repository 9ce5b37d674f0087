public enum Rehearse { public static func main() {} }

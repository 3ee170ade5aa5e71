# placeholder, replaced below
protocol "convcodeworld" {
}
